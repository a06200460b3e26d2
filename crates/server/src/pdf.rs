//! Printable documents as PDF (invoices with their receipts, prescriptions): A4 pages of
//! text in the PDF's built-in Helvetica, laid out top to bottom with page breaks, written
//! with `pdf-writer`. No font is embedded, so the files are small; text is encoded as
//! Windows-1252, and characters it lacks (other scripts) print as `?` — the HTML print
//! page shows them.

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 48.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// Most pages one document may have (a bill of 200 lines fits in far fewer).
const MAX_PAGES: usize = 40;

/// A text cell of a table row: where it starts (points from the left margin) and how many
/// characters fit before it wraps.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub x: f32,
    pub chars: usize,
}

/// A document being laid out.
pub struct Sheet {
    done: Vec<Vec<u8>>,
    page: Content,
    y: f32,
}

impl Default for Sheet {
    fn default() -> Self {
        Self::new()
    }
}

/// `s` in Windows-1252 (the encoding of the built-in fonts), `?` for what it lacks.
fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

/// Breaks `s` into lines of at most `width` characters, at spaces where it can.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let mut word = word.to_owned();
        while word.chars().count() > width {
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.push(head);
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

impl Sheet {
    pub fn new() -> Self {
        Sheet {
            done: Vec::new(),
            page: Content::new(),
            y: HEIGHT - MARGIN,
        }
    }

    /// Room for `h` more points, on a new page if needed (none past [`MAX_PAGES`]).
    fn room(&mut self, h: f32) -> bool {
        if self.y - h >= MARGIN {
            return true;
        }
        if self.done.len() + 1 >= MAX_PAGES {
            return false;
        }
        let page = std::mem::replace(&mut self.page, Content::new());
        self.done.push(page.finish().to_vec());
        self.y = HEIGHT - MARGIN;
        true
    }

    fn put(&mut self, x: f32, font: Name<'_>, size: f32, text: &str) {
        self.page
            .begin_text()
            .set_font(font, size)
            .next_line(MARGIN + x, self.y)
            .show(Str(&encode(text)))
            .end_text();
    }

    fn lines(&mut self, font: Name<'_>, size: f32, text: &str) {
        let chars = ((WIDTH - 2.0 * MARGIN) / (size * 0.5)) as usize;
        for l in wrap(text, chars) {
            if !self.room(size + 4.0) {
                return;
            }
            self.y -= size + 4.0;
            self.put(0.0, font, size, &l);
        }
    }

    /// A heading.
    pub fn title(&mut self, text: &str) {
        self.lines(BOLD, 16.0, text);
    }

    /// A paragraph of body text.
    pub fn text(&mut self, text: &str) {
        self.lines(REGULAR, 10.0, text);
    }

    /// A bold paragraph.
    pub fn bold(&mut self, text: &str) {
        self.lines(BOLD, 10.0, text);
    }

    /// Some space.
    pub fn gap(&mut self) {
        self.y -= 8.0;
    }

    /// A thin line across the page.
    pub fn rule(&mut self) {
        if self.room(6.0) {
            self.y -= 4.0;
            self.page
                .set_line_width(0.5)
                .move_to(MARGIN, self.y)
                .line_to(WIDTH - MARGIN, self.y)
                .stroke();
            self.y -= 2.0;
        }
    }

    /// A table row: each cell in its column, wrapped within it; `bold` for a header.
    pub fn row(&mut self, columns: &[Column], cells: &[&str], bold: bool) {
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|(c, t)| wrap(t, c.chars.max(1)))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let font = if bold { BOLD } else { REGULAR };
        for i in 0..height {
            if !self.room(13.0) {
                return;
            }
            self.y -= 13.0;
            for (c, lines) in columns.iter().zip(&wrapped) {
                if let Some(l) = lines.get(i) {
                    self.put(c.x, font, 9.0, l);
                }
            }
        }
    }

    /// The PDF, titled `title` in its metadata.
    pub fn finish(mut self, title: &str) -> Vec<u8> {
        self.done.push(self.page.finish().to_vec());
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let (regular, bold) = (Ref::new(3), Ref::new(4));
        let info = Ref::new(5);
        let first = 6;
        let n = self.done.len() as i32;
        let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(first + 2 * i)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(n);
        pdf.document_info(info).title(TextStr(title));
        for (font, id) in [
            (b"Helvetica".as_slice(), regular),
            (b"Helvetica-Bold", bold),
        ] {
            pdf.type1_font(id)
                .base_font(Name(font))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        for (i, body) in self.done.iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
            page.parent(tree);
            page.contents(content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            page.finish();
            let packed = miniz_oxide::deflate::compress_to_vec_zlib(body, 6);
            pdf.stream(content_id, &packed).filter(Filter::FlateDecode);
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_at_spaces_and_encodes_as_the_fonts_do() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(encode("Café − ₹5 · “x”"), b"Caf\xe9 - ?5 \xb7 \x93x\x94");
    }

    #[test]
    fn a_long_document_breaks_into_pages_and_stops_at_the_limit() {
        let mut s = Sheet::new();
        for i in 0..5000 {
            s.text(&format!("Line {i}"));
        }
        let pdf = s.finish("Test");
        assert!(pdf.starts_with(b"%PDF-"));
        let pages = pdf.windows(10).filter(|w| w == b"/Type /Pag").count();
        // The page tree (/Type /Pages) and each page (/Type /Page).
        assert_eq!(pages, MAX_PAGES + 1);
    }
}
