//! Which text encoding an uploaded file is in (UTF-8 with or without BOM,
//! else Shift_JIS as Japanese Excel writes it), whether it is text at all,
//! and a reader that decodes it to UTF-8 as it streams.

use crate::i18n::Key;
use std::io::{self, Read};

use encoding_rs::{CoderResult, Decoder, SHIFT_JIS};

/// How many leading bytes `sniff` should be given.
pub const SNIFF_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Magic numbers of files people upload by mistake (PDF, ZIP/XLSX, old
/// XLS, PNG, JPEG, GIF, gzip).
const BINARY_MAGIC: &[&[u8]] = &[
    b"%PDF",
    b"PK\x03\x04",
    b"\xD0\xCF\x11\xE0",
    b"\x89PNG",
    b"\xFF\xD8\xFF",
    b"GIF8",
    b"\x1F\x8B",
];

/// The encodings accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    ShiftJis,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::ShiftJis => "shift_jis",
        }
    }
}

/// Why a file is refused before any row is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    Binary,
    Utf16,
    UnknownEncoding,
}

impl FileProblem {
    pub fn key(self) -> Key {
        match self {
            FileProblem::Empty => msg!("err.trades.empty"),
            FileProblem::Binary => msg!("err.trades.not_csv"),
            FileProblem::Utf16 | FileProblem::UnknownEncoding => msg!("err.trades.file_encoding"),
        }
    }
}

/// Decides the encoding from the first bytes of a file (`complete` when
/// `prefix` is the whole file, so a character cut at its end is an error).
pub fn sniff(prefix: &[u8], complete: bool) -> Result<TextEncoding, FileProblem> {
    if prefix.is_empty() || (complete && prefix == BOM) {
        return Err(FileProblem::Empty);
    }
    if prefix.starts_with(BOM) {
        return Ok(TextEncoding::Utf8Bom);
    }
    if prefix.starts_with(b"\xFF\xFE") || prefix.starts_with(b"\xFE\xFF") {
        return Err(FileProblem::Utf16);
    }
    if looks_binary(prefix) {
        return Err(FileProblem::Binary);
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => return Ok(TextEncoding::Utf8),
        Err(e) if e.error_len().is_none() && !complete => return Ok(TextEncoding::Utf8),
        Err(_) => {}
    }
    let whole = SHIFT_JIS
        .decode_without_bom_handling_and_without_replacement(prefix)
        .is_some();
    // A double-byte character may be cut at the end of a partial prefix.
    let cut = !complete
        && prefix.len() > 1
        && SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(&prefix[..prefix.len() - 1])
            .is_some();
    if whole || cut {
        Ok(TextEncoding::ShiftJis)
    } else {
        Err(FileProblem::UnknownEncoding)
    }
}

/// Known magic numbers, or many control bytes (a stray NUL in a row of
/// text is a row problem, reported there, not a binary file).
fn looks_binary(prefix: &[u8]) -> bool {
    if BINARY_MAGIC.iter().any(|magic| prefix.starts_with(magic)) {
        return true;
    }
    let head = &prefix[..prefix.len().min(8192)];
    let controls = head
        .iter()
        .filter(|b| **b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    controls > 8 && controls * 100 > head.len()
}

/// A reader of UTF-8: the file's bytes as they are (minus a BOM), or
/// decoded from Shift_JIS chunk by chunk, malformed bytes becoming U+FFFD
/// (which the row checks then report).
pub struct Decoded<R> {
    inner: R,
    skip: usize,
    sjis: Option<Box<SjisState>>,
}

struct SjisState {
    decoder: Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    output: Vec<u8>,
    out_at: usize,
    out_end: usize,
    finished: bool,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Decoded<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        let sjis = (encoding == TextEncoding::ShiftJis).then(|| {
            let decoder = SHIFT_JIS.new_decoder_without_bom_handling();
            let room = decoder.max_utf8_buffer_length(CHUNK).unwrap_or(CHUNK * 3) + 16;
            Box::new(SjisState {
                decoder,
                input: vec![0; CHUNK],
                start: 0,
                end: 0,
                eof: false,
                output: vec![0; room],
                out_at: 0,
                out_end: 0,
                finished: false,
            })
        });
        let skip = if encoding == TextEncoding::Utf8Bom {
            BOM.len()
        } else {
            0
        };
        Decoded { inner, skip, sjis }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.skip > 0 {
            let mut bom = [0u8; 3];
            let n = self.inner.read(&mut bom[..self.skip])?;
            if n == 0 {
                self.skip = 0;
                return Ok(0);
            }
            self.skip -= n;
        }
        let Some(state) = self.sjis.as_mut() else {
            return self.inner.read(buf);
        };
        loop {
            if state.out_at < state.out_end {
                let n = buf.len().min(state.out_end - state.out_at);
                buf[..n].copy_from_slice(&state.output[state.out_at..state.out_at + n]);
                state.out_at += n;
                return Ok(n);
            }
            if state.finished {
                return Ok(0);
            }
            if state.start == state.end && !state.eof {
                let n = self.inner.read(&mut state.input)?;
                state.start = 0;
                state.end = n;
                state.eof = n == 0;
            }
            let (result, read, written, _) = state.decoder.decode_to_utf8(
                &state.input[state.start..state.end],
                &mut state.output,
                state.eof,
            );
            state.start += read;
            state.out_at = 0;
            state.out_end = written;
            if state.eof && result == CoderResult::InputEmpty {
                state.finished = true;
            }
        }
    }
}
