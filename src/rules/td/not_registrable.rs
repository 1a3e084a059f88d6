//! TD006: a register-shaped file carries fields that only `describe-task-definition` returns,
//! so `register-task-definition --cli-input-json` rejects it as it is.

use super::schema::DESCRIBE_FIELDS;
use crate::diag::{Applicability, CURRENT_FILE, Edit, Fix, Severity};
use crate::model::{Origin, TaskDefinition};
use crate::parse::Member;
use crate::rules::{Context, Needs, Rule};
use crate::span::Span;

pub static RULE: Rule = Rule {
    code: "TD006",
    name: "not-registrable",
    severity: Severity::Warning,
    summary: "The file carries fields only describe-task-definition returns; register-task-definition rejects it as it is",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    if task.origin != Origin::Native || task.describe_output {
        return;
    }
    let members = task.props.members();
    let extra: Vec<usize> = (0..members.len())
        .filter(|&i| DESCRIBE_FIELDS.contains(&members[i].key.as_str()))
        // With duplicate keys the last one counts; an earlier copy is removed with it.
        .collect();
    if extra.is_empty() {
        return;
    }
    let mut names: Vec<String> = Vec::new();
    for &i in &extra {
        let name = format!("`{}`", members[i].key);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let first = &members[extra[0]];
    let d = cx.report(
        &RULE,
        first.key_span,
        format!(
            "this file carries {} that only `describe-task-definition` returns: `register-task-definition --cli-input-json` rejects it as it is",
            names.join(", ")
        ),
    );
    d.primary_label("describe output only");
    for &i in &extra[1..] {
        d.label_here(members[i].key_span, "describe output only");
    }
    d.help(format!(
        "remove these fields before registering (a copy of the console's JSON tab, or a describe output \
         unwrapped by hand, has them), or keep the file as describe output, `{{\"taskDefinition\": {{…}}}}`. \
         A deploy tool that drops them itself (the amazon-ecs-deploy-task-definition GitHub Action does) \
         registers the file fine: then turn {} off for this file",
        RULE.code
    ));
    d.fix(Fix {
        description: format!("remove {}", names.join(", ")),
        applicability: Applicability::Safe,
        edits: removal_edits(members, &extra),
    });
}

/// Edits that remove the members at `remove` (sorted indexes) with their commas: a run of
/// removed members followed by a kept one is cut from its first key to the next kept key; a
/// run that ends the object is cut from the end of the kept member before it.
fn removal_edits(members: &[Member], remove: &[usize]) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut i = 0;
    while i < remove.len() {
        let start = remove[i];
        let mut end = start;
        while i + 1 < remove.len() && remove[i + 1] == end + 1 {
            i += 1;
            end = remove[i];
        }
        let span = if end + 1 < members.len() {
            Span {
                start: members[start].key_span.start,
                end: members[end + 1].key_span.start,
            }
        } else if start > 0 {
            Span {
                start: members[start - 1].value.span.end,
                end: members[end].value.span.end,
            }
        } else {
            Span {
                start: members[start].key_span.start,
                end: members[end].value.span.end,
            }
        };
        edits.push(Edit {
            file: CURRENT_FILE,
            span,
            content: String::new(),
        });
        i += 1;
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, remove: &[&str]) -> String {
        let root = crate::parse::json::parse(text).unwrap();
        let members = root.members();
        let idx: Vec<usize> = (0..members.len())
            .filter(|&i| remove.contains(&members[i].key.as_str()))
            .collect();
        let mut out = text.to_string();
        for e in removal_edits(members, &idx).iter().rev() {
            out.replace_range(e.span.range(), &e.content);
        }
        out
    }

    #[test]
    fn removes_members_with_their_commas() {
        let text = "{\n  \"a\": 1,\n  \"revision\": 3,\n  \"status\": \"ACTIVE\",\n  \"b\": [2],\n  \"compatibilities\": [\"EC2\"]\n}";
        let fixed = apply(text, &["revision", "status", "compatibilities"]);
        assert_eq!(fixed, "{\n  \"a\": 1,\n  \"b\": [2]\n}");
        assert!(crate::parse::json::parse(&fixed).is_ok());
        let fixed = apply(
            "{\"revision\": 1, \"status\": \"x\"}",
            &["revision", "status"],
        );
        assert_eq!(fixed, "{}");
        let fixed = apply("{\"revision\": 1, \"a\": 2}", &["revision"]);
        assert_eq!(fixed, "{\"a\": 2}");
    }
}
