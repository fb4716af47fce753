//! A seeded simulator of local authorities (being written).
