//! caseflow's wire formats: the protobuf/gRPC types generated from `proto/caseflow` (the event
//! contract `caseflow.v1`, the query and ingest API `caseflow.v2`), their proto3 JSON mapping,
//! event decoding (JSON or protobuf) into domain drafts, rendering of domain events back to the
//! wire types, and the one table between the API's enums and the domain's types.

mod codec;
mod convert;
mod enums;

pub use codec::{Encoding, decode_event, event_to_json, sniff};
pub use convert::{draft_from_proto, event_to_proto, placement_to_proto};
pub use enums::{UnknownEnumValue, WireEnum, read_enum};

/// The event contract, generated from `proto/caseflow/v1/events.proto` (messages and serde
/// impls following the proto3 JSON mapping).
#[allow(clippy::all, missing_docs)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/caseflow.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/caseflow.v1.serde.rs"));
}

/// The query and ingest API, generated from `proto/caseflow/v2/service.proto` (messages, enums,
/// gRPC clients and servers, serde impls following the proto3 JSON mapping).
#[allow(clippy::all, missing_docs)]
pub mod v2 {
    include!(concat!(env!("OUT_DIR"), "/caseflow.v2.rs"));
    include!(concat!(env!("OUT_DIR"), "/caseflow.v2.serde.rs"));
}

/// The encoded `FileDescriptorSet` of both files (`caseflow.v1` and `caseflow.v2`), for gRPC
/// reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/caseflow_descriptor.bin"));

#[cfg(any(test, feature = "examples"))]
pub mod examples;
#[cfg(test)]
mod tests;
