//! Fitting human output to the terminal: prose wraps at spaces, a `code` span is never split
//! unless it is a shell command longer than a line (then it gets a block of its own, broken
//! with ` \` continuations so that it stays pasteable), a JSON document is printed indented on
//! its own lines, ready to paste. Only a single unbreakable token (a URL, an ARN) may run past
//! the width.

use std::io::IsTerminal;

/// The width of human output: `COLUMNS`, else the terminal's, else 80.
pub fn terminal_width() -> usize {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return columns.max(MIN_WIDTH);
    }
    if std::io::stdout().is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
    {
        return usize::from(w).max(MIN_WIDTH);
    }
    80
}

/// Below this, wrapping does more harm than good.
const MIN_WIDTH: usize = 40;

/// Commands a help may quote (or options to add to one); one of these in backticks, too long
/// for a line, is set apart.
const COMMANDS: [&str; 6] = [
    "aws ",
    "docker ",
    "ecs-preflight ",
    "terraform ",
    "cargo ",
    "--",
];

/// Lays out `text` for `width` columns. Lines that start with a space are preformatted (the
/// AWS CLI and CloudFormation blocks of a help) and kept as they are.
pub fn layout(text: &str, width: usize) -> String {
    let width = width.max(20);
    let mut out: Vec<String> = Vec::new();
    for line in text.split('\n') {
        if line.starts_with(' ') || line.is_empty() {
            out.extend(preformatted(line, width));
            continue;
        }
        for piece in split_json(line) {
            match piece {
                Piece::Prose(p) => out.extend(wrap_prose(&p, width)),
                Piece::Json(lines) => out.extend(lines.into_iter().map(|l| format!("  {l}"))),
            }
        }
    }
    out.join("\n")
}

/// A preformatted line, kept unless it is a shell command (or a continuation of one) too long
/// for the width: that is broken again, with ` \` continuations.
fn preformatted(line: &str, width: usize) -> Vec<String> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let command = COMMANDS.iter().any(|c| trimmed.starts_with(c)) || trimmed.starts_with("--");
    if width_of(line) <= width || !command {
        return vec![line.to_string()];
    }
    let (body, continued) = match trimmed.strip_suffix(" \\") {
        Some(body) => (body, true),
        None => (trimmed, false),
    };
    let mut lines = break_command(body, width.saturating_sub(indent));
    if continued && let Some(last) = lines.last_mut() {
        last.push_str(" \\");
    }
    let pad = " ".repeat(indent.saturating_sub(2));
    lines.into_iter().map(|l| format!("{pad}{l}")).collect()
}

enum Piece {
    Prose(String),
    Json(Vec<String>),
}

/// Splits a line into prose and the JSON objects in it (a policy to add), pretty-printed. A
/// `{` that does not start a JSON object of some size is prose.
fn split_json(line: &str) -> Vec<Piece> {
    // Most lines have no document: no need to look at every character.
    if !line.contains('{') {
        return vec![Piece::Prose(line.trim().to_string())];
    }
    let mut pieces = Vec::new();
    let mut prose = String::new();
    let mut rest = line;
    let mut in_code = false;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
        }
        if c == '{' && !in_code {
            let mut stream =
                serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
            if let Some(Ok(value)) = stream.next() {
                let value: serde_json::Value = value;
                let used = stream.byte_offset();
                if value.as_object().is_some_and(|o| o.len() >= 2) && used >= 40 {
                    let pretty = pretty_json(&rest[..used]);
                    let before = prose.trim_end().to_string();
                    if !before.is_empty() {
                        pieces.push(Piece::Prose(before));
                    }
                    prose.clear();
                    pieces.push(Piece::Json(pretty.lines().map(str::to_string).collect()));
                    // `; …` after the document would start a line: the break says as much.
                    rest = rest[used..]
                        .trim_start()
                        .trim_start_matches([';', ','])
                        .trim_start();
                    continue;
                }
            }
        }
        prose.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !prose.trim().is_empty() {
        pieces.push(Piece::Prose(prose.trim().to_string()));
    }
    pieces
}

/// Re-indents valid JSON text two spaces a level, keeping its key order (a parsed value would
/// sort the keys: `Version` and `Statement`, `Effect` and `Action` are read in their order).
fn pretty_json(raw: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = raw.chars().collect();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                let next = chars[i..].iter().find(|c| !c.is_whitespace());
                if next == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i += chars[i..].iter().position(|&x| x == close).unwrap_or(0) + 1;
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Words of prose: runs of non-space characters, where a backtick span counts as one word
/// with the punctuation around it. Slices of `text`: a report lays out every help, so no copy.
fn words(text: &str) -> Vec<&str> {
    // About one word in six characters: one allocation for most texts.
    let mut words = Vec::with_capacity(text.len() / 6 + 1);
    let mut start: Option<usize> = None;
    let mut in_code = false;
    for (i, c) in text.char_indices() {
        if c == '`' {
            in_code = !in_code;
        }
        if c == ' ' && !in_code {
            if let Some(s) = start.take() {
                words.push(&text[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push(&text[s..]);
    }
    words
}

fn width_of(s: &str) -> usize {
    s.chars().count()
}

fn wrap_prose(text: &str, width: usize) -> Vec<String> {
    if width_of(text) <= width {
        return vec![text.to_string()];
    }
    let mut lines = Vec::new();
    let mut line = String::with_capacity(width + 8);
    // Characters in `line`, kept as it grows (counting again for every word is quadratic).
    let mut used = 0;
    for word in words(text) {
        let size = width_of(word);
        if size > width
            && let Some((before, command, after)) = command_in(word)
        {
            // A command too long for any line: its own block.
            let lead = format!("{line} {before}").trim().to_string();
            if !lead.is_empty() {
                lines.push(lead);
            }
            lines.extend(break_command(command, width));
            // A `;` or `,` right after the command would start the next line; the line
            // break says as much.
            line = after
                .trim_start_matches([';', ','])
                .trim_start()
                .to_string();
            used = width_of(&line);
            continue;
        }
        if line.is_empty() {
            line.push_str(word);
            used = size;
        } else if used + 1 + size <= width {
            line.push(' ');
            line.push_str(word);
            used += 1 + size;
        } else {
            let mut next = String::with_capacity(width + 8);
            next.push_str(word);
            lines.push(std::mem::replace(&mut line, next));
            used = size;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `(\`aws … \`;` → ("(", "aws …", ";") when the backtick span is a shell command.
fn command_in(word: &str) -> Option<(&str, &str, &str)> {
    let open = word.find('`')?;
    let close = word.rfind('`')?;
    if close <= open {
        return None;
    }
    let inner = &word[open + 1..close];
    COMMANDS
        .iter()
        .any(|c| inner.starts_with(c))
        .then(|| (&word[..open], inner, &word[close + 1..]))
}

/// A command broken at spaces before options, each line but the last ending in ` \`, the
/// continuation lines indented, so that the block pastes into a shell as one command.
fn break_command(command: &str, width: usize) -> Vec<String> {
    // An option and its value stay together.
    let mut units: Vec<String> = Vec::new();
    for token in shell_tokens(command) {
        match units.last_mut() {
            Some(last)
                if last.starts_with('-') && !last.contains(' ') && !token.starts_with('-') =>
            {
                last.push(' ');
                last.push_str(&token);
            }
            _ => units.push(token),
        }
    }
    let mut lines = Vec::new();
    let mut line = String::from("  ");
    for unit in units {
        let fits = width_of(&line) + 1 + width_of(&unit) + 2 <= width;
        if line.trim().is_empty() {
            line.push_str(&unit);
        } else if fits {
            line.push(' ');
            line.push_str(&unit);
        } else {
            line.push_str(" \\");
            lines.push(std::mem::replace(&mut line, format!("    {unit}")));
        }
    }
    lines.push(line);
    lines
}

/// Splits a command at spaces outside quotes.
fn shell_tokens(command: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut token = String::new();
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                token.push(c);
            }
            Some(_) => token.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                token.push(c);
            }
            // A placeholder (`<id of Vpc>`) is one word to fill in.
            None if c == '<' => {
                quote = Some('>');
                token.push(c);
            }
            None if c == ' ' => {
                if !token.is_empty() {
                    tokens.push(std::mem::take(&mut token));
                }
            }
            None => token.push(c),
        }
    }
    if !token.is_empty() {
        tokens.push(token);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_wraps_at_spaces_and_keeps_code_spans_whole() {
        let text = "pin the image to a digest (`repo/web:latest@sha256:…`) or to a version tag that is never reused";
        let out = layout(text, 40);
        for line in out.lines() {
            assert!(width_of(line) <= 40, "{line}");
        }
        assert!(out.contains("(`repo/web:latest@sha256:…`)"), "{out}");
        assert_eq!(out.replace('\n', " "), text);
    }

    #[test]
    fn a_long_command_gets_a_pasteable_block() {
        let text = "then run `aws iam put-role-policy --role-name shop-web-execution --policy-name ecs-preflight-secrets --policy-document file://policy.json`; done";
        let out = layout(text, 60);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "then run");
        assert!(lines[1].starts_with("  aws iam put-role-policy"), "{out}");
        assert!(lines[1].ends_with(" \\"), "{out}");
        assert_eq!(lines.last().unwrap(), &"done");
        // Joined back as a shell would, the command is the original.
        let command: String = lines[1..lines.len() - 1]
            .iter()
            .map(|l| l.trim().trim_end_matches('\\').trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            command,
            "aws iam put-role-policy --role-name shop-web-execution --policy-name ecs-preflight-secrets --policy-document file://policy.json"
        );
        for line in &lines {
            assert!(width_of(line) <= 60, "{line}");
        }
    }

    #[test]
    fn json_documents_are_printed_indented() {
        let text = r#"add this statement: {"Sid": "EcrPull", "Effect": "Allow", "Action": "ecr:BatchGetImage"} (then apply it)"#;
        let out = layout(text, 80);
        assert_eq!(
            out,
            "add this statement:\n  {\n    \"Sid\": \"EcrPull\",\n    \"Effect\": \"Allow\",\n    \"Action\": \"ecr:BatchGetImage\"\n  }\n(then apply it)"
        );
        // Small braces are prose.
        assert_eq!(layout("a {b} c", 80), "a {b} c");
    }

    #[test]
    fn preformatted_lines_are_kept_unless_a_command_is_too_long() {
        let yaml = "lead:\n  ServiceName: com.amazonaws.us-east-1.secretsmanager-and-more-words";
        assert_eq!(layout(yaml, 40), yaml);
        let text = "lead:\n  aws ec2 create-vpc-endpoint --region us-east-1 --vpc-id vpc-0a1b2c3d4e5f60718 --vpc-endpoint-type Gateway \\\n    --service-name com.amazonaws.us-east-1.s3";
        assert_eq!(
            layout(text, 50),
            "lead:\n  aws ec2 create-vpc-endpoint \\\n    --region us-east-1 \\\n    --vpc-id vpc-0a1b2c3d4e5f60718 \\\n    --vpc-endpoint-type Gateway \\\n    --service-name com.amazonaws.us-east-1.s3"
        );
    }
}
