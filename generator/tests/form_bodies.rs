//! Webhooks posted as forms (`fixtures/forms.yaml`): the generated module, built in a scratch crate as a
//! user's crate builds it, reads the JSON field of multipart and url-encoded bodies with `from_named`
//! and writes the payload back as JSON.

mod scratch;

/// Parses each delivery by name and prints its name and payload, or the error.
const MAIN: &str = r#"pub mod forms;

const DELIVERIES: &[(&str, &[u8])] = &[
    (
        "signature_request.signed",
        b"--b0undary\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b0undary\r\n\
Content-Disposition: form-data; name=\"json\"\r\nContent-Type: application/json\r\n\r\n\
{\"event\":{\"event_type\":\"signature_request_signed\"},\"extra\":1}\r\n--b0undary--\r\n",
    ),
    ("issue_comment", b"payload=%7B%22action%22%3A%22created%22%2C%22comment%22%3A%7B%22body%22%3A%22a+b%22%7D%7D"),
    ("issue_comment", b"token=1&payload=%7B%22comment%22%3A%7B%7D%7D"),
    ("issue_comment", b"token=1"),
    ("signature_request.signed", b"--b\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{}"),
    ("both.posted", b"{\"id\":7}"),
];

fn main() {
    for (name, body) in DELIVERIES {
        match forms::Event::from_named(name, body) {
            Ok(event) => println!("{} {}", event.name(), serde_json::to_string(&event).expect("serializes")),
            Err(err) => println!("error: {err}"),
        }
    }
}
"#;

#[test]
fn form_fields_are_parsed_by_name_and_written_back_as_json() {
    let printed = scratch::run_fixture("form-bodies", "forms", MAIN);
    let expected = [
        r#"signature_request.signed {"event":{"event_type":"signature_request_signed"}}"#,
        r#"issue_comment {"action":"created","comment":{"body":"a b"}}"#,
        "error: the `issue_comment` payload does not match its schema at `.`: missing field `action` at line 1 column 14",
        "error: the form body has no `payload` field",
        "error: the form body's `json` field cannot be read: a part is not closed by the boundary",
        r#"both.posted {"id":7}"#,
    ];
    assert_eq!(printed, expected);
}
