/// Maps byte offsets to 1-based line and column (columns count characters). Linear in
/// the text to build and logarithmic per lookup, however long a line is (a minified
/// JSON file is one line of megabytes).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Every `STEP` bytes of the text: (byte offset on a char boundary, chars of its line
    /// before it). Unused for ASCII text, where columns are byte counts.
    marks: Vec<(usize, usize)>,
    ascii: bool,
}

/// Distance between column checkpoints on long non-ASCII lines.
const STEP: usize = 4096;

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_iter(text).map(|i| i + 1));
        let mut marks = Vec::new();
        let ascii = text.is_ascii();
        if !ascii {
            let mut line_chars = 0;
            let mut next = STEP;
            for (i, c) in text.char_indices() {
                if i >= next {
                    marks.push((i, line_chars));
                    next = i + STEP;
                }
                line_chars = if c == '\n' { 0 } else { line_chars + 1 };
            }
        }
        LineIndex {
            text,
            starts,
            marks,
            ascii,
        }
    }

    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = if self.ascii {
            offset - start
        } else {
            // The last checkpoint on this line before the offset, then count from it.
            let k = self.marks.partition_point(|&(m, _)| m <= offset);
            let (from, base) = match k.checked_sub(1).map(|i| self.marks[i]) {
                Some((m, chars)) if m >= start => (m, chars),
                _ => (start, 0),
            };
            base + self
                .text
                .get(from..offset)
                .map_or(offset - from, |s| s.chars().count())
        };
        (line as u32 + 1, column as u32 + 1)
    }
}

fn memchr_iter(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let idx = LineIndex::new("ab\nçd\n");
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(3), (2, 1));
        assert_eq!(idx.position(5), (2, 2)); // after the two-byte ç
        assert_eq!(idx.position(99), (3, 1));
    }

    #[test]
    fn long_lines_count_the_same_as_a_plain_count() {
        let text = format!("x\n{}é{}\nz", "ab".repeat(5000), "çd".repeat(6000));
        let idx = LineIndex::new(&text);
        for offset in [0, 2, 3, 5000, 10002, 10003, 20000, 22000, text.len()] {
            let offset = text.floor_char_boundary(offset);
            let line = text[..offset].matches('\n').count();
            let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..offset].chars().count();
            assert_eq!(
                idx.position(offset),
                (line as u32 + 1, col as u32 + 1),
                "{offset}"
            );
        }
    }
}
