//! Line endings made uniform before a CSV is split into records: CRLF and a
//! lone CR both become LF. The csv crate counts lines by LF and takes a
//! record's line before it consumes the LF of a CRLF, so without this every
//! row of a file saved with CRLF (as Excel on Windows saves it) would be
//! reported one line too early.

use std::io::{self, Read};

/// A reader of the inner bytes with CRLF and CR turned into LF.
pub struct UnixLines<R> {
    inner: R,
    /// The last byte given out was a CR turned into LF, so an LF that
    /// follows belongs to it.
    after_cr: bool,
}

impl<R: Read> UnixLines<R> {
    pub fn new(inner: R) -> Self {
        UnixLines {
            inner,
            after_cr: false,
        }
    }
}

impl<R: Read> Read for UnixLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            // Rewrite in place: the output is never longer than the input.
            let mut out = 0;
            for at in 0..n {
                let byte = buf[at];
                let skip = byte == b'\n' && self.after_cr;
                self.after_cr = byte == b'\r';
                if !skip {
                    buf[out] = if byte == b'\r' { b'\n' } else { byte };
                    out += 1;
                }
            }
            // A read that was only the LF of a CRLF gives nothing: read on
            // rather than signal the end of the file.
            if out > 0 {
                return Ok(out);
            }
        }
    }
}

/// Lines in `bytes` as a spreadsheet counts them (LF, CRLF and a lone CR
/// each end one): the highest row number a problem may name.
#[cfg(test)]
pub(crate) fn spreadsheet_lines(bytes: &[u8]) -> u64 {
    let endings = bytes
        .iter()
        .enumerate()
        .filter(|(at, b)| **b == b'\n' || (**b == b'\r' && bytes.get(at + 1) != Some(&b'\n')))
        .count();
    u64::try_from(endings).unwrap_or(u64::MAX).saturating_add(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn unix(bytes: &[u8], chunk: usize) -> Vec<u8> {
        /// Hands out at most `chunk` bytes per read, to split CRLF pairs.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        UnixLines::new(Trickle(bytes, chunk))
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn every_line_ending_becomes_lf() {
        for chunk in [1, 2, 3, 64] {
            assert_eq!(unix(b"a\r\nb\rc\nd\r\n\r\ne", chunk), b"a\nb\nc\nd\n\ne");
            assert_eq!(unix(b"\r\n", chunk), b"\n");
            assert_eq!(unix(b"\n\r", chunk), b"\n\n");
            assert_eq!(unix(b"", chunk), b"");
        }
    }

    proptest::proptest! {
        #[test]
        fn lines_are_counted_as_a_spreadsheet_shows_them(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![proptest::prelude::Just(b'\r'),
                    proptest::prelude::Just(b'\n'), proptest::prelude::Just(b'x')],
                0..64,
            ),
            chunk in 1usize..5,
        ) {
            let out = unix(&bytes, chunk);
            let text = String::from_utf8(bytes.clone()).unwrap();
            let expected = text.replace("\r\n", "\n").replace('\r', "\n");
            proptest::prop_assert_eq!(out, expected.into_bytes());
        }
    }
}
