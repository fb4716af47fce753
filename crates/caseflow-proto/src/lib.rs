//! caseflow's wire formats: the protobuf/gRPC types generated from `proto/caseflow/v1`, their
//! proto3 JSON mapping, event decoding (JSON or protobuf) into domain drafts, and rendering of
//! domain events back to the wire types.

mod codec;
mod convert;

pub use codec::{Encoding, decode_event, event_to_json, sniff};
pub use convert::{draft_from_proto, event_to_proto, placement_to_proto};

/// Types generated from `proto/caseflow/v1` (messages, gRPC clients and servers, serde impls
/// following the proto3 JSON mapping).
#[allow(clippy::all, missing_docs)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/caseflow.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/caseflow.v1.serde.rs"));
}

/// The encoded `FileDescriptorSet` of `proto/caseflow/v1`, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/caseflow_descriptor.bin"));

#[cfg(any(test, feature = "examples"))]
pub mod examples;
#[cfg(test)]
mod tests;
