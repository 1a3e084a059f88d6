//! Embeds the rule pages of rules/ in the binary, for `ecs-preflight explain`.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("rules");
    let mut pages: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let path = e.path();
                    let stem = path.file_stem()?.to_str()?.to_string();
                    let name = path.file_name()?.to_str()?.to_string();
                    (path.extension()? == "md").then_some((stem, name))
                })
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    let mut out = String::from(
        "/// (file stem `CODE-name`, Markdown text) of every page in rules/.\npub static PAGES: &[(&str, &str)] = &[\n",
    );
    // The path is relative to the crate being compiled, not the one this script ran for: one
    // CARGO_TARGET_DIR shared by several checkouts must not embed another checkout's pages.
    for (stem, name) in pages {
        writeln!(
            out,
            "    ({stem:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/\", {name:?}))),"
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("rule_pages.rs");
    std::fs::write(dest, out).unwrap();
}
