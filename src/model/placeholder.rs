//! Values written for a deploy tool to fill in. They are unknown wherever they stand, never
//! invalid: the file is a template of what will be registered, not the registered thing.

/// Task definition files are often templates filled in by a deploy tool (ecspresso's
/// `{{ must_env "TAG" }}`, envsubst's `${TAG}`, CodePipeline's `<IMAGE1_NAME>`). Such a value is
/// unknown, not invalid.
pub fn placeholder(s: &str) -> Option<String> {
    let between = |open: &str, close: &str| {
        s.find(open).and_then(|i| {
            s[i + open.len()..]
                .find(close)
                .map(|j| &s[i..i + open.len() + j + close.len()])
        })
    };
    if let Some(p) = between("{{", "}}") {
        return Some(format!("it contains the template placeholder `{p}`"));
    }
    if let Some(p) = between("${", "}") {
        return Some(format!("it contains the variable `{p}`"));
    }
    if let Some(p) = between("<", ">")
        && p.len() > 2
        && p[1..p.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Some(format!("it contains the placeholder `{p}`"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert!(placeholder("{{ must_env `TAG` }}").is_some());
        assert!(placeholder("repo:${TAG}").is_some());
        assert!(placeholder("12345678.dkr.ecr.<region>.amazonaws.com/app").is_some());
        assert!(placeholder("nginx:1.25").is_none());
        assert!(placeholder("a<b>c d").is_some());
        assert!(placeholder("<>").is_none());
    }
}
