//! Compiles `proto/caseflow/v1/events.proto` (the event contract) and
//! `proto/caseflow/v2/service.proto` (the query and ingest API) with protox (no system protoc)
//! into prost messages, tonic services, pbjson serde impls and an encoded descriptor set for
//! gRPC reflection.

use std::path::PathBuf;

use prost::Message as _;

const FILES: [&str; 2] = ["caseflow/v1/events.proto", "caseflow/v2/service.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    for file in FILES {
        println!("cargo:rerun-if-changed={}", proto_dir.join(file).display());
    }

    let fds = protox::compile(FILES, [&proto_dir])?;
    let descriptor_bytes = fds.encode_to_vec();
    std::fs::write(out_dir.join("caseflow_descriptor.bin"), &descriptor_bytes)?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .ignore_unknown_fields()
        .build(&[".caseflow.v1", ".caseflow.v2"])?;
    Ok(())
}
