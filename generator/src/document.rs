//! The document model: which webhooks a spec declares, their operations, payload schemas and examples.
//!
//! A small, tolerant view over the parsed JSON value. It understands both the standard OpenAPI 3.1 form
//! (a top-level `webhooks` map, or `x-webhooks` in 3.0 documents) and Zoom's form (webhooks under `paths`
//! with keys such as `meeting.started`). Schemas stay as pointers into the document; `lower` reads them.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::{Diagnostics, Error};
use crate::pointer::JsonPointer;

/// How many `$ref` hops a single lookup may take before it is treated as a cycle.
const MAX_REF_HOPS: usize = 64;

/// HTTP methods a webhook path item may use, `post` first since webhooks are deliveries.
const METHODS: [&str; 8] = ["post", "put", "patch", "get", "delete", "options", "head", "trace"];

/// A loaded spec: the raw document plus what it says about its webhooks.
#[derive(Debug)]
pub struct Document {
    /// The spec file, as the caller named it (used in messages).
    pub file: String,
    /// The whole parsed document; schemas are read from it by pointer.
    pub root: Value,
    /// `info.title`, `info.description` and `info.version`.
    pub info: Info,
    /// The webhooks, in document order.
    pub webhooks: Vec<Webhook>,
}

/// The parts of `info` that end up in module docs.
#[derive(Debug, Default, Clone)]
pub struct Info {
    /// `info.title`.
    pub title: Option<String>,
    /// `info.description`.
    pub description: Option<String>,
    /// `info.version`.
    pub version: Option<String>,
}

/// One webhook (event) of the spec.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The key the spec lists it under, such as `number_management.peering_number_cnam_updated`.
    pub name: String,
    /// The operation describing the delivery.
    pub operation: Operation,
}

/// The operation of a webhook: its docs and the request body the vendor sends.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Where the operation object is.
    pub pointer: JsonPointer,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`, or the request body's description when the operation has none (Zoom's habit).
    pub description: Option<String>,
    /// The JSON payload, when the operation has a request body (or, in some 3.0 documents, describes
    /// the payload as a 2xx response).
    pub body: Option<Body>,
}

/// The request body of a webhook delivery.
#[derive(Debug, Clone)]
pub struct Body {
    /// Where the chosen media type object is.
    pub pointer: JsonPointer,
    /// Where the payload schema is, if the media type has one.
    pub schema: Option<JsonPointer>,
    /// For a webhook posted as a form (`multipart/form-data` or `application/x-www-form-urlencoded`) with
    /// its JSON in one field, that field's name; the schema and examples are then the field's.
    pub form_field: Option<String>,
    /// The payload examples, in document order.
    pub examples: Vec<Example>,
    /// Examples the spec gives that could not be used, each also reported as a warning.
    pub skipped_examples: Vec<SkippedExample>,
}

/// An example the spec gives that cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedExample {
    /// Where the example is.
    pub pointer: JsonPointer,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why an example was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A string that should hold JSON text but does not parse.
    NotJson,
    /// An `externalValue`, which is not fetched.
    External,
    /// An example object without `value`.
    NoValue,
}

/// A payload example from the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Where the example value is.
    pub pointer: JsonPointer,
    /// The example's key in an `examples` map, if it came from one.
    pub name: Option<String>,
    /// The example payload.
    pub value: Value,
}

impl Document {
    /// Builds the document model from a parsed spec.
    pub(crate) fn from_value(mut root: Value, diag: &mut Diagnostics) -> Result<Self, Error> {
        crate::ref_relocation::relocate_webhook_refs(&mut root, diag);
        let Some(top) = root.as_object() else {
            return Err(diag.error(&JsonPointer::root(), "the document root must be an object"));
        };
        let info = read_info(top);
        let mut webhooks = Vec::new();
        let webhook_maps = if top.contains_key("webhooks") {
            if let Some(version) = top.get("openapi").and_then(Value::as_str) {
                if version.starts_with("3.0") {
                    diag.warn(
                        &JsonPointer::root().push("webhooks"),
                        format!(
                            "`webhooks` is an OpenAPI 3.1 field but the document says openapi {version}; used anyway"
                        ),
                    );
                }
            }
            vec!["webhooks"]
        } else {
            vec!["x-webhooks"]
        };
        for key in webhook_maps {
            let Some(map) = top.get(key) else { continue };
            let pointer = JsonPointer::root().push(key);
            let Some(map) = map.as_object() else {
                return Err(
                    diag.error(&pointer, format!("`{key}` must be an object mapping webhook names to path items"))
                );
            };
            for (name, item) in map {
                if let Some(webhook) = read_webhook(&root, name, &pointer.push(name), item, diag)? {
                    webhooks.push(webhook);
                }
            }
        }
        if let Some(paths) = top.get("paths") {
            let pointer = JsonPointer::root().push("paths");
            let Some(paths) = paths.as_object() else {
                return Err(diag.error(&pointer, "`paths` must be an object"));
            };
            // Zoom lists webhooks under `paths` with keys that are event names, not URL paths.
            for (name, item) in paths.iter().filter(|(name, _)| !name.starts_with('/')) {
                if let Some(webhook) = read_webhook(&root, name, &pointer.push(name), item, diag)? {
                    webhooks.push(webhook);
                }
            }
        }
        if webhooks.is_empty() {
            diag.warn(&JsonPointer::root(), "the document declares no webhooks; the module has no events");
        }
        Ok(Self { file: diag.file().to_owned(), root, info, webhooks })
    }

    /// Follows `$ref` chains from `pointer` until a node that is not a bare reference.
    ///
    /// Returns the final pointer and node. Errors name the `$ref` that cannot be followed.
    pub(crate) fn deref<'a>(
        &'a self,
        pointer: &JsonPointer,
        diag: &Diagnostics,
    ) -> Result<(JsonPointer, &'a Value), Error> {
        deref(&self.root, pointer, diag)
    }

    /// [`Self::deref`] for a node already in hand (`node` is what `pointer` designates): a walk that
    /// holds the node it is at need not resolve its pointer from the root again, which costs a lookup per
    /// level of the pointer. Only the targets of `$ref`s are resolved from the root.
    pub(crate) fn deref_node<'a, 'p>(
        &'a self,
        pointer: &'p JsonPointer,
        node: &'a Value,
        diag: &Diagnostics,
    ) -> Result<(Cow<'p, JsonPointer>, &'a Value), Error> {
        follow_refs(&self.root, pointer, node, diag)
    }
}

fn deref<'a>(root: &'a Value, pointer: &JsonPointer, diag: &Diagnostics) -> Result<(JsonPointer, &'a Value), Error> {
    let Some(node) = pointer.resolve(root) else {
        return Err(diag.error(pointer, "no such node in the document"));
    };
    let (target, node) = follow_refs(root, pointer, node, diag)?;
    Ok((target.into_owned(), node))
}

/// Follows the `$ref` chain from `node`, found at `pointer`. Most nodes are no reference: their pointer is
/// returned as it was given, not copied.
fn follow_refs<'a, 'p>(
    root: &'a Value,
    pointer: &'p JsonPointer,
    mut node: &'a Value,
    diag: &Diagnostics,
) -> Result<(Cow<'p, JsonPointer>, &'a Value), Error> {
    let mut current = Cow::Borrowed(pointer);
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = node.get("$ref") else {
            return Ok((current, node));
        };
        let ref_pointer = || current.push("$ref");
        let Some(reference) = reference.as_str() else {
            return Err(diag.error(&ref_pointer(), "`$ref` must be a string"));
        };
        let Some(target) = JsonPointer::from_local_ref(reference) else {
            return Err(diag.error(
                &ref_pointer(),
                format!("`$ref: {reference}` is not a JSON pointer into this document (external references are not supported)"),
            ));
        };
        let Some(next) = target.resolve(root) else {
            return Err(diag.error(&ref_pointer(), format!("`$ref: {reference}` points to nothing in this document")));
        };
        current = Cow::Owned(target);
        node = next;
    }
    Err(diag.error(pointer, format!("`$ref` chain longer than {MAX_REF_HOPS} hops (a reference cycle?)")))
}

fn read_info(top: &Map<String, Value>) -> Info {
    let info = top.get("info");
    let text = |key: &str| info.and_then(|info| info.get(key)).and_then(Value::as_str).map(str::to_owned);
    Info { title: text("title"), description: text("description"), version: text("version") }
}

fn read_webhook(
    root: &Value,
    name: &str,
    pointer: &JsonPointer,
    item: &Value,
    diag: &mut Diagnostics,
) -> Result<Option<Webhook>, Error> {
    if item.get("$ref").is_none() && !item.is_object() {
        return Err(diag.error(pointer, "a webhook must be a path item object"));
    }
    let (item_pointer, item) = deref(root, pointer, diag)?;
    let Some(item) = item.as_object() else {
        return Err(diag.error(&item_pointer, "a webhook must be a path item object"));
    };
    let mut methods = METHODS.iter().filter(|method| item.contains_key(**method));
    let Some(method) = methods.next() else {
        diag.warn(&item_pointer, format!("webhook `{name}` has no operation; skipped"));
        return Ok(None);
    };
    if *method != "post" {
        diag.warn(&item_pointer, format!("webhook `{name}` has no `post` operation; using `{method}`"));
    }
    for extra in methods {
        diag.warn(
            &item_pointer.push(extra),
            format!("webhook `{name}` has more than one operation; `{extra}` ignored"),
        );
    }
    let op_pointer = item_pointer.push(method);
    let (op_pointer, op) = deref(root, &op_pointer, diag)?;
    let Some(op) = op.as_object() else {
        return Err(diag.error(&op_pointer, "an operation must be an object"));
    };
    let text = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut operation = Operation {
        pointer: op_pointer.clone(),
        summary: text("summary"),
        description: text("description"),
        body: None,
    };
    if op.contains_key("requestBody") {
        let (body_pointer, request_body) = deref(root, &op_pointer.push("requestBody"), diag)?;
        let Some(request_body) = request_body.as_object() else {
            return Err(diag.error(&body_pointer, "`requestBody` must be an object"));
        };
        if operation.description.is_none() {
            operation.description = request_body.get("description").and_then(Value::as_str).map(str::to_owned);
        }
        operation.body = read_body(root, name, &body_pointer, request_body, diag)?;
    } else if let Some((code, response_pointer, response)) = payload_response(root, &op_pointer, op, diag)? {
        diag.warn(
            &op_pointer.push("responses").push(code),
            format!("webhook `{name}` describes its payload under `responses/{code}`; read as the delivery's body"),
        );
        if operation.description.is_none() {
            operation.description = response.get("description").and_then(Value::as_str).map(str::to_owned);
        }
        operation.body = read_body(root, name, &response_pointer, response, diag)?;
    } else {
        diag.warn(&op_pointer, format!("webhook `{name}` has no request body; its payload is kept as JSON"));
    }
    Ok(Some(Webhook { name: name.to_owned(), operation }))
}

/// A response read as the payload: its status code, and where the response object is and its object.
type PayloadResponse<'o, 'a> = (&'o str, JsonPointer, &'a Map<String, Value>);

/// The response some 3.0 documents with `x-webhooks` describe the payload as, for an operation without a
/// `requestBody`: `200`, else the first other 2xx response (`2XX` included), that has JSON `content`;
/// `default` is never the payload.
fn payload_response<'a, 'o>(
    root: &'a Value,
    op_pointer: &JsonPointer,
    op: &'o Map<String, Value>,
    diag: &Diagnostics,
) -> Result<Option<PayloadResponse<'o, 'a>>, Error> {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return Ok(None);
    };
    let is_2xx = |code: &str| code.len() == 3 && code.starts_with('2') && code.bytes().all(|b| b.is_ascii_digit());
    let codes = responses
        .keys()
        .filter(|code| code.as_str() == "200")
        .chain(responses.keys().filter(|code| code.as_str() != "200" && (is_2xx(code) || code.as_str() == "2XX")));
    for code in codes {
        let (pointer, response) = deref(root, &op_pointer.push("responses").push(code), diag)?;
        let Some(response) = response.as_object() else { continue };
        let has_json = response
            .get("content")
            .and_then(Value::as_object)
            .is_some_and(|content| content.keys().any(|media| is_json_media(media)));
        if has_json {
            return Ok(Some((code, pointer, response)));
        }
    }
    Ok(None)
}

/// A media type without its parameters, lowercased (`Application/JSON; charset=utf-8` -> `application/json`).
fn media_essence(media: &str) -> String {
    media.split(';').next().unwrap_or(media).trim().to_ascii_lowercase()
}

/// Whether a media type is JSON (`application/json`, `*/*+json`, parameters ignored).
fn is_json_media(media: &str) -> bool {
    let essence = media_essence(media);
    essence == "application/json" || essence.ends_with("+json") || essence.ends_with("/json")
}

fn read_body(
    root: &Value,
    name: &str,
    pointer: &JsonPointer,
    request_body: &Map<String, Value>,
    diag: &mut Diagnostics,
) -> Result<Option<Body>, Error> {
    let content_pointer = pointer.push("content");
    let Some(content) = request_body.get("content") else {
        diag.warn(
            pointer,
            format!("webhook `{name}` has a request body without `content`; its payload is kept as JSON"),
        );
        return Ok(None);
    };
    let Some(content) = content.as_object() else {
        return Err(diag.error(&content_pointer, "`content` must be an object mapping media types"));
    };
    let chosen = content.iter().find(|(media, _)| is_json_media(media)).or_else(|| content.iter().next());
    let Some((media, media_object)) = chosen else {
        diag.warn(&content_pointer, format!("webhook `{name}` has an empty `content`; its payload is kept as JSON"));
        return Ok(None);
    };
    let media_pointer = content_pointer.push(media);
    let Some(media_object) = media_object.as_object() else {
        return Err(diag.error(&media_pointer, "a media type must be an object"));
    };
    let form =
        if is_json_media(media) { None } else { form_json_field(root, &media_pointer, media, media_object, diag)? };
    let (schema, form_field) = match form {
        Some(FormField { name: field, schema }) => {
            diag.warn(
                &media_pointer,
                format!(
                    "webhook `{name}` is posted as `{media}` with its JSON in the form field `{field}`; the payload \
                     is that field's JSON"
                ),
            );
            (schema, Some(field))
        }
        None => {
            if !is_json_media(media) {
                diag.warn(&media_pointer, format!("webhook `{name}` has no JSON body; `{media}` read as JSON"));
            }
            (media_object.contains_key("schema").then(|| media_pointer.push("schema")), None)
        }
    };
    let mut examples = Examples::default();
    let field = form_field.as_deref();
    if let Some(example) = media_object.get("example") {
        examples.push_payload(root, field, media_pointer.push("example"), None, example, diag);
    }
    if let Some(map) = media_object.get("examples") {
        let map_pointer = media_pointer.push("examples");
        match map.as_object() {
            Some(map) => {
                for (key, _) in map {
                    let (example_pointer, example) = deref(root, &map_pointer.push(key), diag)?;
                    match example.as_object() {
                        Some(object) if object.contains_key("value") => {
                            let value_pointer = example_pointer.push("value");
                            examples.push_payload(root, field, value_pointer, Some(key), &object["value"], diag);
                        }
                        Some(object) if object.contains_key("externalValue") => {
                            diag.warn(&example_pointer, "external example values are not fetched; example skipped");
                            examples.skip(example_pointer, SkipReason::External);
                        }
                        _ => {
                            diag.warn(&example_pointer, "an example object without `value`; example skipped");
                            examples.skip(example_pointer, SkipReason::NoValue);
                        }
                    }
                }
            }
            None => diag.warn(&map_pointer, "`examples` is not an object; examples skipped"),
        }
    }
    // Examples on the payload schema itself: `examples` (JSON Schema's array) and `example` (OpenAPI 3.0's).
    if let Some(schema_pointer) = &schema {
        let (schema_pointer, schema_node) = deref(root, schema_pointer, diag)?;
        if let Some(list) = schema_node.get("examples") {
            match list.as_array() {
                Some(list) => {
                    for (i, value) in list.iter().enumerate() {
                        examples.push(root, schema_pointer.push("examples").index(i), None, value, diag);
                    }
                }
                None => diag.warn(&schema_pointer.push("examples"), "a schema's `examples` must be an array; ignored"),
            }
        }
        if let Some(value) = schema_node.get("example") {
            examples.push(root, schema_pointer.push("example"), None, value, diag);
        }
    }
    Ok(Some(Body {
        pointer: media_pointer,
        schema,
        form_field,
        examples: examples.used,
        skipped_examples: examples.skipped,
    }))
}

/// The form field a webhook posted as a form puts its JSON in, with the payload schema.
struct FormField {
    name: String,
    schema: Option<JsonPointer>,
}

/// The field of a form body (`multipart/form-data` or `application/x-www-form-urlencoded`) that holds
/// the delivery's JSON: among the properties of the form's schema, those whose schema is an object or a
/// `$ref`, or JSON text (`contentMediaType: application/json`, or the media type's `encoding` saying
/// `contentType: application/json`), or a string named `json` or `payload`. The one such property, else
/// the one of them named `json` or `payload`; `None` when there is no such choice.
fn form_json_field(
    root: &Value,
    media_pointer: &JsonPointer,
    media: &str,
    media_object: &Map<String, Value>,
    diag: &Diagnostics,
) -> Result<Option<FormField>, Error> {
    let essence = media_essence(media);
    if essence != "multipart/form-data" && essence != "application/x-www-form-urlencoded" {
        return Ok(None);
    }
    if !media_object.contains_key("schema") {
        return Ok(None);
    }
    let (schema_pointer, schema) = deref(root, &media_pointer.push("schema"), diag)?;
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Ok(None) };
    let encoding = media_object.get("encoding").and_then(Value::as_object);
    let mut candidates = Vec::new();
    for (property, property_schema) in properties {
        let pointer = schema_pointer.push("properties").push(property);
        let (resolved_pointer, node) = deref(root, &pointer, diag)?;
        let text = |key: &str| node.get(key).and_then(Value::as_str);
        let encoded_as_json = text("contentMediaType").is_some_and(is_json_media)
            || encoding
                .and_then(|encoding| encoding.get(property))
                .and_then(|encoding| encoding.get("contentType"))
                .and_then(Value::as_str)
                .is_some_and(is_json_media);
        let is_object = property_schema.get("$ref").is_some()
            || text("type") == Some("object")
            || node.get("properties").is_some_and(Value::is_object);
        let is_string = text("type") == Some("string");
        let schema = if is_string && (encoded_as_json || matches!(property.as_str(), "json" | "payload")) {
            // JSON text: its schema is `contentSchema` (3.1), else unknown.
            node.get("contentSchema").map(|_| resolved_pointer.push("contentSchema"))
        } else if is_object || encoded_as_json {
            Some(pointer)
        } else {
            continue;
        };
        candidates.push(FormField { name: property.clone(), schema });
    }
    if candidates.len() == 1 {
        return Ok(candidates.pop());
    }
    Ok(candidates.into_iter().find(|candidate| matches!(candidate.name.as_str(), "json" | "payload")))
}

/// The examples of one body: those that can be used and those skipped.
#[derive(Default)]
struct Examples {
    used: Vec<Example>,
    skipped: Vec<SkippedExample>,
}

impl Examples {
    /// Records one example. Zoom writes payload examples as JSON text inside a string; those are parsed,
    /// and the ones that are not valid JSON are skipped with a warning.
    ///
    /// An example that is only a `$ref` is a reference, not data (a payload never is a lone `$ref`): one
    /// into this document is followed (to the `value` of an Example Object, or to the value itself), and
    /// one that leaves the document is skipped, as `externalValue` is.
    fn push(&mut self, root: &Value, pointer: JsonPointer, name: Option<&str>, value: &Value, diag: &mut Diagnostics) {
        let (pointer, value) = match value.as_object().filter(|object| object.len() == 1).and_then(|o| o.get("$ref")) {
            Some(reference) => match follow_example_ref(root, &pointer, reference, diag) {
                Some(target) => target,
                None => {
                    self.skip(pointer, SkipReason::External);
                    return;
                }
            },
            None => (pointer, value),
        };
        let value = match value {
            Value::String(text) if text.trim_start().starts_with(['{', '[']) => match crate::source::parse_json(text) {
                Ok(parsed) => {
                    diag.warn(&pointer, "example is JSON text inside a string; parsed");
                    parsed
                }
                Err(err) => {
                    diag.warn(&pointer, format!("example is a string that is not valid JSON ({err}); example skipped"));
                    self.skip(pointer, SkipReason::NotJson);
                    return;
                }
            },
            other => other.clone(),
        };
        self.used.push(Example { pointer, name: name.map(str::to_owned), value });
    }

    /// Records a body's example: for a webhook posted as a form (`form_field`), an example is a form and
    /// the payload example is the value of its JSON field.
    fn push_payload(
        &mut self,
        root: &Value,
        form_field: Option<&str>,
        pointer: JsonPointer,
        name: Option<&str>,
        value: &Value,
        diag: &mut Diagnostics,
    ) {
        let Some(field) = form_field else { return self.push(root, pointer, name, value, diag) };
        match value.get(field) {
            Some(payload) => self.push(root, pointer.push(field), name, payload, diag),
            None => {
                diag.warn(&pointer, format!("a form example without the field `{field}`; example skipped"));
                self.skip(pointer, SkipReason::NoValue);
            }
        }
    }

    fn skip(&mut self, pointer: JsonPointer, reason: SkipReason) {
        self.skipped.push(SkippedExample { pointer, reason });
    }
}

/// The example a lone `$ref` in an example's place points to, with its pointer; `None` (and a warning)
/// when it cannot be followed.
fn follow_example_ref<'a>(
    root: &'a Value,
    pointer: &JsonPointer,
    reference: &Value,
    diag: &mut Diagnostics,
) -> Option<(JsonPointer, &'a Value)> {
    let ref_pointer = pointer.push("$ref");
    let target = reference.as_str().and_then(JsonPointer::from_local_ref);
    let Some((target_pointer, target)) = target.and_then(|target| deref(root, &target, diag).ok()) else {
        diag.warn(&ref_pointer, "an example that is a `$ref` outside this document or to nothing; example skipped");
        return None;
    };
    diag.warn(&ref_pointer, "an example that is a `$ref`; the value it points to is the example");
    // A reference to an Example Object (`#/components/examples/...`) means its `value`.
    let is_example_object = target.as_object().is_some_and(|object| {
        object.contains_key("value")
            && object
                .keys()
                .all(|key| matches!(key.as_str(), "value" | "summary" | "description") || key.starts_with("x-"))
    });
    if is_example_object {
        Some((target_pointer.push("value"), &target["value"]))
    } else {
        Some((target_pointer, target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(doc: Value) -> (Document, Vec<String>) {
        let mut diag = Diagnostics::new("spec.json");
        let document = Document::from_value(doc, &mut diag).unwrap();
        (document, diag.into_warnings().iter().map(ToString::to_string).collect())
    }

    fn x_webhook(operation: Value) -> Value {
        json!({"openapi": "3.0.3", "x-webhooks": {"order.paid": {"post": operation}}})
    }

    fn json_content(schema: Value) -> Value {
        json!({"content": {"application/json": {"schema": schema, "example": {"id": 1}}}})
    }

    #[test]
    fn a_payload_under_responses_200_is_read_as_the_body() {
        let (document, warnings) = load(x_webhook(json!({
            "responses": {
                "201": json_content(json!({"type": "object", "title": "created"})),
                "200": {"description": "The paid order.", "content": {"application/json": {
                    "schema": {"type": "object"}, "example": {"id": 1}
                }}},
            }
        })));
        let operation = &document.webhooks[0].operation;
        let body = operation.body.as_ref().unwrap();
        assert_eq!(body.pointer.as_str(), "/x-webhooks/order.paid/post/responses/200/content/application~1json");
        assert_eq!(body.schema.as_ref().unwrap().as_str(), format!("{}/schema", body.pointer.as_str()));
        assert_eq!(body.examples.len(), 1);
        assert_eq!(body.examples[0].value, json!({"id": 1}));
        assert_eq!(operation.description.as_deref(), Some("The paid order."));
        assert_eq!(
            warnings,
            ["/x-webhooks/order.paid/post/responses/200: webhook `order.paid` describes its payload \
              under `responses/200`; read as the delivery's body"]
        );
    }

    #[test]
    fn without_200_the_first_2xx_with_json_is_read_and_default_never() {
        let (document, warnings) = load(x_webhook(json!({
            "responses": {
                "default": json_content(json!({"type": "object"})),
                "202": {"description": "no content"},
                "204": {"content": {"text/plain": {"schema": {"type": "string"}}}},
                "2XX": json_content(json!({"type": "object"})),
            }
        })));
        let body = document.webhooks[0].operation.body.as_ref().unwrap();
        assert_eq!(body.pointer.as_str(), "/x-webhooks/order.paid/post/responses/2XX/content/application~1json");
        assert!(warnings[0].contains("under `responses/2XX`"), "{warnings:?}");

        let (document, warnings) = load(x_webhook(json!({"responses": {"default": json_content(json!({}))}})));
        assert!(document.webhooks[0].operation.body.is_none());
        assert_eq!(
            warnings,
            ["/x-webhooks/order.paid/post: webhook `order.paid` has no request body; its payload is kept as JSON"]
        );
    }

    #[test]
    fn a_request_body_wins_over_responses() {
        let (document, warnings) = load(x_webhook(json!({
            "requestBody": json_content(json!({"type": "object"})),
            "responses": {"200": json_content(json!({"type": "string"}))},
        })));
        let body = document.webhooks[0].operation.body.as_ref().unwrap();
        assert_eq!(body.pointer.as_str(), "/x-webhooks/order.paid/post/requestBody/content/application~1json");
        assert_eq!(warnings, Vec::<String>::new());
    }

    #[test]
    fn a_response_given_by_ref_is_followed() {
        let mut doc = x_webhook(json!({"responses": {"200": {"$ref": "#/components/responses/Paid"}}}));
        doc["components"] = json!({"responses": {"Paid": json_content(json!({"type": "object"}))}});
        let (document, warnings) = load(doc);
        let body = document.webhooks[0].operation.body.as_ref().unwrap();
        assert_eq!(body.pointer.as_str(), "/components/responses/Paid/content/application~1json");
        assert!(warnings[0].starts_with("/x-webhooks/order.paid/post/responses/200: "), "{warnings:?}");
    }

    fn form_webhook(media: &str, properties: Value) -> Value {
        json!({"openapi": "3.1.0", "webhooks": {"signed": {"post": {"requestBody": {"content": {
            media: {"schema": {"type": "object", "properties": properties}}
        }}}}}})
    }

    #[test]
    fn the_one_json_property_of_a_form_is_the_payload() {
        let (document, warnings) =
            load(form_webhook("multipart/form-data", json!({"json": {"type": "object"}, "note": {"type": "string"}})));
        let body = document.webhooks[0].operation.body.as_ref().unwrap();
        assert_eq!(body.form_field.as_deref(), Some("json"));
        assert_eq!(
            body.schema.as_ref().unwrap().as_str(),
            "/webhooks/signed/post/requestBody/content/multipart~1form-data/schema/properties/json"
        );
        assert!(warnings[0].contains("in the form field `json`"), "{warnings:?}");
    }

    #[test]
    fn among_several_json_properties_json_or_payload_is_chosen_else_none() {
        let mut doc = form_webhook(
            "application/x-www-form-urlencoded",
            json!({"user": {"$ref": "#/components/schemas/User"}, "payload": {"type": "string"}}),
        );
        doc["components"] = json!({"schemas": {"User": {"type": "string"}}});
        let (document, _) = load(doc);
        let body = document.webhooks[0].operation.body.as_ref().unwrap();
        assert_eq!(body.form_field.as_deref(), Some("payload"));
        assert_eq!(body.schema, None, "JSON text without `contentSchema` is any JSON");

        let (document, warnings) =
            load(form_webhook("multipart/form-data", json!({"a": {"type": "object"}, "b": {"type": "object"}})));
        let body = document.webhooks[0].operation.body.as_ref().unwrap();
        assert_eq!(body.form_field, None);
        assert!(warnings[0].ends_with("has no JSON body; `multipart/form-data` read as JSON"), "{warnings:?}");
    }

    #[test]
    fn a_json_media_type_wins_over_a_form() {
        let mut doc = form_webhook("multipart/form-data", json!({"json": {"type": "object"}}));
        doc["webhooks"]["signed"]["post"]["requestBody"]["content"]["application/json"] = json!({"schema": {}});
        let (document, warnings) = load(doc);
        let body = document.webhooks[0].operation.body.as_ref().unwrap();
        assert_eq!(body.form_field, None);
        assert_eq!(body.pointer.as_str(), "/webhooks/signed/post/requestBody/content/application~1json");
        assert_eq!(warnings, Vec::<String>::new());
    }
}
