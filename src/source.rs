//! Source files: their text, where they came from, and byte offset → line/column.

use std::path::{Path, PathBuf};

use crate::span::Span;

/// Files larger than this are refused: the largest real inputs (Terraform plans of big
/// estates) are tens of megabytes; anything beyond this is not something we can check usefully.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or found, for reading.
    pub path: PathBuf,
    /// The path as shown to the user: relative to the working directory when possible.
    pub name: String,
    pub text: String,
    /// True when the file was not UTF-8 on disk (UTF-16 with a byte order mark): byte edits
    /// (`--fix`) cannot be applied to it.
    pub transcoded: bool,
    line_starts: Vec<u32>,
    /// Columns count characters; in pure ASCII text that is a subtraction (which matters for
    /// minified files that are one long line).
    ascii: bool,
    /// In other text: every `CHECKPOINT` bytes, (byte offset, column there), so that a column is
    /// counted from a nearby point rather than from the start of a long line.
    checkpoints: Vec<(u32, u32)>,
    /// The text as source snippets show it (control characters replaced), made once when
    /// first needed: see `render::sanitize::display_text`.
    display: std::sync::OnceLock<Option<String>>,
}

const CHECKPOINT: usize = 4096;

/// Why a file could not be turned into text.
#[derive(Debug)]
pub struct ReadError {
    pub message: String,
    /// Line and column of the problem, when it has one (invalid UTF-8).
    pub position: Option<(usize, usize)>,
}

impl SourceFile {
    pub fn new(path: PathBuf, name: String, text: String) -> SourceFile {
        let line_starts = line_starts(&text);
        let ascii = text.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            checkpoints(&text)
        };
        SourceFile {
            path,
            name,
            text,
            transcoded: false,
            line_starts,
            ascii,
            checkpoints,
            display: std::sync::OnceLock::new(),
        }
    }

    /// Reads a file as text: UTF-8 (with or without a byte order mark), or UTF-16 with a byte
    /// order mark (PowerShell's `>` writes it).
    pub fn read(path: &Path, name: String) -> Result<SourceFile, ReadError> {
        let bytes = read_bounded(path)?;
        let (text, transcoded) = decode(bytes)?;
        let mut file = SourceFile::new(path.to_path_buf(), name, text);
        file.transcoded = transcoded;
        Ok(file)
    }

    /// Text that did not come from a file on disk (standard input), decoded as `read` does.
    pub fn from_bytes(
        path: PathBuf,
        name: String,
        bytes: Vec<u8>,
    ) -> Result<SourceFile, ReadError> {
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(ReadError {
                message: format!(
                    "the input is more than {} MB",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
                position: None,
            });
        }
        let (text, transcoded) = decode(bytes)?;
        let mut file = SourceFile::new(path, name, text);
        file.transcoded = transcoded;
        Ok(file)
    }

    /// 1-based line and column (columns count Unicode characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        if self.ascii {
            return (line + 1, offset as usize - start + 1);
        }
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        // Count from the last checkpoint on this line, if there is one.
        let (from, column_there) = match self
            .checkpoints
            .partition_point(|&(at, _)| at as usize <= end)
        {
            0 => (start, 0),
            i => {
                let (at, col) = self.checkpoints[i - 1];
                if at as usize >= start {
                    (at as usize, col as usize)
                } else {
                    (start, 0)
                }
            }
        };
        let mut column = column_there + self.text[from..end].chars().count() + 1;
        // A byte order mark is not a character of the first line.
        if line == 0 && self.text.starts_with('\u{feff}') && end >= 3 {
            column -= 1;
        }
        (line + 1, column)
    }

    /// Line/column of both ends of a span: (line, column, end line, end column), the end
    /// exclusive as SARIF and the JSON output want it.
    pub fn range(&self, span: Span) -> (usize, usize, usize, usize) {
        let (l1, c1) = self.line_col(span.start);
        let (l2, c2) = self.line_col(span.end);
        (l1, c1, l2, c2)
    }

    /// The text of line `line` (1-based), without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e as usize);
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    /// Byte offset of the start of line `line` (1-based); the end of the text past the last.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.wrapping_sub(1))
            .map_or(self.text.len(), |&s| s as usize)
    }

    /// The text with the characters a terminal or CI log would interpret replaced by
    /// placeholders of the same length: what source snippets show.
    pub fn display_text(&self) -> &str {
        self.display
            .get_or_init(|| match crate::base::sanitize::display_text(&self.text) {
                std::borrow::Cow::Borrowed(_) => None,
                std::borrow::Cow::Owned(s) => Some(s),
            })
            .as_deref()
            .unwrap_or(&self.text)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// Reads a file the tool was given or found, the one way every file is read (inputs, state
/// files, config files, `--service` files, and again by `--fix`): regular files only (a named
/// symbolic link is followed to one), opened without blocking so that a FIFO cannot hang the
/// run, and at most [`MAX_FILE_BYTES`] whatever the file claims its length is (a device reports
/// 0 and never ends).
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let file = open_nonblocking(path).map_err(|e| io_error(&e))?;
    let meta = file.metadata().map_err(|e| io_error(&e))?;
    if !meta.is_file() {
        return Err(ReadError {
            message: format!(
                "is {}, not a regular file; only regular files are read",
                file_kind(&meta)
            ),
            position: None,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_FILE_BYTES) as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError {
            message: format!(
                "the file is larger than {} MB, the limit",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            position: None,
        });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "not a regular file"
}

fn checkpoints(text: &str) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut column = 0u32;
    let mut next = CHECKPOINT;
    for (i, c) in text.char_indices() {
        if i >= next {
            out.push((i as u32, column));
            next = i + CHECKPOINT;
        }
        column = if c == '\n' { 0 } else { column + 1 };
    }
    out
}

fn line_starts(text: &str) -> Vec<u32> {
    let mut starts = vec![0];
    starts.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i as u32 + 1),
    );
    starts
}

fn io_error(e: &std::io::Error) -> ReadError {
    let message = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    ReadError {
        message,
        position: None,
    }
}

fn decode(bytes: Vec<u8>) -> Result<(String, bool), ReadError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes).map(|t| (t, true));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes).map(|t| (t, true));
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            if let Some(at) = text.find('\0') {
                let (line, col) = position_of(&text, at);
                return Err(ReadError {
                    message: "binary data (a NUL byte), not text".into(),
                    position: Some((line, col)),
                });
            }
            Ok((text, false))
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let (line, col) = position_of(&prefix, prefix.len());
            Err(ReadError {
                message: format!(
                    "not UTF-8 text (invalid byte 0x{:02X}); save the file as UTF-8",
                    bytes[valid]
                ),
                position: Some((line, col)),
            })
        }
    }
}

fn decode_utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, ReadError> {
    let units = bytes
        .chunks(2)
        .map(|c| word([c[0], *c.get(1).unwrap_or(&0)]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| ReadError {
            message: "invalid UTF-16 text".into(),
            position: None,
        })
}

fn position_of(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let f = SourceFile::new("x".into(), "x".into(), "ab\nçd\r\nef".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2)); // after the two-byte ç
        assert_eq!(f.line_col(8), (3, 1));
        assert_eq!(f.line_text(2), "çd");
        assert_eq!(f.line_col(100), (3, 3));
        let bom = SourceFile::new("x".into(), "x".into(), "\u{feff}{\"a\": 1}".into());
        assert_eq!(bom.line_col(3), (1, 1));
        assert_eq!(bom.line_col(4), (1, 2));
    }

    #[test]
    fn columns_on_long_non_ascii_lines() {
        let text = format!(
            "é{}x\n{}é{}y",
            "a".repeat(10_000),
            "b".repeat(5000),
            "c".repeat(9000)
        );
        let f = SourceFile::new("x".into(), "x".into(), text.clone());
        for target in ['x', 'y'] {
            let at = text.find(target).unwrap();
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let expected = text[line_start..at].chars().count() + 1;
            assert_eq!(f.line_col(at as u32).1, expected);
        }
    }

    #[test]
    fn decoding() {
        assert!(decode(b"{\"a\":1}".to_vec()).is_ok());
        let err = decode(b"ab\n\xffcd".to_vec()).unwrap_err();
        assert_eq!(err.position, Some((2, 1)));
        assert!(err.message.contains("not UTF-8"));
        let err = decode(b"ab\0".to_vec()).unwrap_err();
        assert!(err.message.contains("binary"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("{}".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(utf16).unwrap(), ("{}".to_string(), true));
    }
}
