//! A block of a hand-written file that codegen rewrites: the text between a line that opens it and one
//! that closes it, so the rest of the file stays as its authors wrote it.

use webhook_codegen::{Error, JsonPointer};

/// The markers of one block and how messages name it.
pub struct MarkedBlock<'a> {
    /// The line that opens the block (kept: the new block starts with it).
    pub begin: &'a str,
    /// The line that closes it (kept, after the new block).
    pub end: &'a str,
    /// What must hold the block, with its verb, for messages (`the crate docs need`).
    pub needed_by: &'a str,
    /// What the block holds, for messages (`areas`).
    pub name: &'a str,
}

impl MarkedBlock<'_> {
    /// `text` split around the block: what comes before its opening line, and its closing line with
    /// what follows. `file` names the text in errors.
    ///
    /// # Errors
    ///
    /// When a marker is missing or the closing one comes first.
    pub fn split<'t>(&self, file: &str, text: &'t str) -> Result<(&'t str, &'t str), Error> {
        let error = |message: String| Error::Spec { file: file.to_owned(), pointer: JsonPointer::root(), message };
        let (Some(begin), Some(end)) = (text.find(self.begin), text.find(self.end)) else {
            return Err(error(format!(
                "{} a block between the lines `{}` and `{}`",
                self.needed_by, self.begin, self.end
            )));
        };
        if end < begin {
            return Err(error(format!("the end of the {} block comes before its beginning", self.name)));
        }
        Ok((&text[..begin], &text[end..]))
    }
}
