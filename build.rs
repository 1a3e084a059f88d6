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
                    (path.extension()? == "md").then(|| (stem, path.display().to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    let mut out = String::from(
        "/// (file stem `CODE-name`, Markdown text) of every page in rules/.\npub static PAGES: &[(&str, &str)] = &[\n",
    );
    for (stem, path) in pages {
        writeln!(out, "    ({stem:?}, include_str!({path:?})),").unwrap();
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("rule_pages.rs");
    std::fs::write(dest, out).unwrap();
}
