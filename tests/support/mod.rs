//! What the integration tests share: the binary with a controlled environment, and the
//! official SARIF 2.1.0 schema (installed by scripts/install-test-deps).

#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// The tool, with an environment that cannot change what the tests see.
pub fn cmd() -> Command {
    let mut c = Command::cargo_bin("ecs-preflight").unwrap();
    c.env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("NO_COLOR", "1");
    c
}

/// The compiled SARIF 2.1.0 schema; fails with the install command when it is missing.
pub fn sarif_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv-test/share/sarif/sarif-schema-2.1.0.json");
    let schema_text = std::fs::read_to_string(&schema_path).unwrap_or_else(|_| {
        panic!(
            "the SARIF 2.1.0 schema is not installed at {}: run scripts/install-test-deps",
            schema_path.display()
        )
    });
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler
        .add_resource("sarif-schema-2.1.0.json", schema)
        .unwrap();
    let index = compiler
        .compile("sarif-schema-2.1.0.json", &mut schemas)
        .unwrap();
    (schemas, index)
}

/// Panics with the validator's explanation when `log` is not valid SARIF 2.1.0.
pub fn validate_sarif(log: &Value) {
    let (schemas, index) = sarif_schema();
    if let Err(e) = schemas.validate(log, index) {
        panic!("SARIF output does not validate: {e:#}");
    }
}
