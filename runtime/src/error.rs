//! What a delivery ends in when it is not a typed event of its module: a webhook the generated code does
//! not know ([`UnknownEvent`], kept whole), a body that did not parse ([`ParseError`], with the failing
//! field's path), or a handler that failed ([`DispatchError`]).

use serde::{Serialize, Serializer};

/// A delivery of a webhook the generated code does not know, kept whole.
///
/// Vendors add events without notice; this keeps their deliveries instead of rejecting them.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownEvent {
    /// The webhook name (from the body, or as given to `from_named`).
    pub name: String,
    /// The whole body.
    pub body: serde_json::Value,
}

impl UnknownEvent {
    /// Keeps `body` as the delivery of the webhook `name`.
    ///
    /// # Errors
    ///
    /// [`ParseError::InvalidUtf8`] or [`ParseError::InvalidJson`] when the body is not JSON text.
    pub fn parse(name: &str, body: &[u8]) -> Result<Self, ParseError> {
        let body = serde_json::from_str(json_text(body)?).map_err(ParseError::InvalidJson)?;
        Ok(Self { name: name.to_owned(), body })
    }
}

impl Serialize for UnknownEvent {
    /// Writes the body alone, as the vendor sent it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

/// Why a delivery could not be parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is not valid JSON.
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// The body is not valid UTF-8, as JSON text must be (checked whole, undeclared properties included).
    #[error("the body is not valid UTF-8: {0}")]
    InvalidUtf8(#[source] std::str::Utf8Error),
    /// The body is valid JSON but not an object, so it has no property naming the webhook.
    #[error("the body is not a JSON object")]
    NotAnObject,
    /// The body has no string property naming the webhook.
    #[error("the body has no string `{property}` property naming the event")]
    MissingEventName {
        /// The property that was looked for, such as `event`.
        property: &'static str,
    },
    /// The body has the property naming the webhook more than once. JSON readers disagree on which one
    /// counts (the first, the last, or an error), so such a body is refused rather than read one way here
    /// and another way downstream.
    #[error("the body has more than one `{property}` property naming the event")]
    DuplicateEventName {
        /// The property that was looked for, such as `event`.
        property: &'static str,
    },
    /// The webhook posts its JSON in a form field (Dropbox Sign's `json`, GitHub's `payload`), and the
    /// form body has no such field.
    #[error("the form body has no `{field}` field")]
    MissingFormField {
        /// The form field that holds the JSON.
        field: &'static str,
    },
    /// The webhook posts its JSON in a form field, and the form body is malformed (a multipart part not
    /// closed by its boundary) or gives the field more than once.
    #[error("the form body's `{field}` field cannot be read: {reason}")]
    InvalidForm {
        /// The form field that holds the JSON.
        field: &'static str,
        /// What is wrong with the form.
        reason: &'static str,
    },
    /// The body is JSON but does not match the schema of its webhook.
    #[error("the `{event}` payload does not match its schema at `{path}`: {source}")]
    InvalidPayload {
        /// The webhook name.
        event: String,
        /// The path of the failing field, such as `payload.object.carrier_code`.
        path: String,
        /// What serde found there.
        #[source]
        source: serde_json::Error,
    },
}

impl ParseError {
    /// The webhook name, when the body got far enough to have one.
    pub fn event(&self) -> Option<&str> {
        match self {
            Self::InvalidPayload { event, .. } => Some(event),
            _ => None,
        }
    }

    /// The path of the field that did not match, for [`ParseError::InvalidPayload`].
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::InvalidPayload { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Why `dispatch` did not complete.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError<E> {
    /// The delivery did not parse; answering with a client error is appropriate.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The handler method returned an error; the vendor should retry the delivery.
    #[error("the handler failed: {0}")]
    Handler(E),
}

/// The body as JSON text: JSON must be UTF-8, and checking it whole up front means a property the payload
/// type skips is held to that too (serde_json does not check the strings it skips).
pub(crate) fn json_text(body: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(body).map_err(ParseError::InvalidUtf8)
}
