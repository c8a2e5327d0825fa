//! Per-spec settings from a sidecar file (`specs/<name>.codegen.yaml`), for what the spec cannot say:
//! the module name, and which body property names the webhook.
//!
//! ```yaml
//! module: museum           # the Rust module name (default: the spec's file stem in snake_case)
//! discriminator: type      # the body property naming the webhook; `none` for `from_named` only
//! examples: strict         # `widen` (default): types widen to accept the spec's examples;
//!                          # `strict`: the schema alone decides (examples that disagree then fail)
//! deduplicate: false       # `true` (default): structurally identical schemas become one type
//! unknown_properties: keep # `ignore` (default): objects keep only declared properties, unless their
//!                          # schema says `additionalProperties`; `keep`: every object keeps the rest
//! signature: standard      # how deliveries are signed: `zoom`, `standard` (Standard Webhooks), `github`
//!                          # or `none`
//! required: optional       # `as_declared` (default): `required` properties are plain fields;
//!                          # `optional`: every property is an `Option`, for traffic that omits them
//! overlay: fixes.yaml      # an Overlay document applied to the spec, relative to this file
//!                          # (default: `<name>.overlay.yaml` or `.overlay.json` beside the spec)
//! ```

use std::path::PathBuf;

use serde_json::Value;

use crate::error::Error;
use crate::naming;
use crate::overlay::Overlay;
use crate::pointer::JsonPointer;
use crate::source;

/// How `Event::from_slice` finds the webhook name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DiscriminatorChoice {
    /// Infer it from the spec (the rules of "Telling webhooks apart" in the crate docs; the generated
    /// module's docs say which one applied).
    #[default]
    Infer,
    /// This top-level body property names the webhook.
    Property(String),
    /// There is none: generate only `Event::from_named`.
    None,
}

/// What the spec's examples may do to the generated types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExamplePolicy {
    /// Where an example disagrees with its schema, widen the type so the example parses and round-trips
    /// (vendors' examples are evidence of what they send).
    #[default]
    Widen,
    /// The schema alone decides; an example that disagrees will fail to parse or round-trip.
    Strict,
}

/// What an object whose schema says nothing about `additionalProperties` does with the properties it
/// does not declare. (A schema that says `additionalProperties: true` or gives a schema always keeps
/// them; `additionalProperties: false` never does.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownProperties {
    /// Ignore them when parsing (they are not written back).
    #[default]
    Ignore,
    /// Keep them in a field of any JSON values, written back after the declared ones.
    Keep,
}

/// How a vendor signs its deliveries; the generated module's docs say which verifier and receiver to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignatureScheme {
    /// Not said: the module's docs name no scheme.
    #[default]
    Unspecified,
    /// Zoom's `x-zm-signature` (`webhook_runtime::signature`).
    Zoom,
    /// Standard Webhooks, `webhook-*` or Svix's `svix-*` headers (`webhook_runtime::signature::standard`).
    Standard,
    /// GitHub's `X-Hub-Signature-256` (`webhook_runtime::signature::github`).
    GitHub,
    /// The vendor signs nothing the runtime checks: deliveries must be authenticated another way.
    None,
}

/// Whether the spec's `required` lists make plain fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RequiredProperties {
    /// A required property is a plain field: a delivery without it fails to parse.
    #[default]
    AsDeclared,
    /// Every property is an `Option`, required or not: for vendors whose deliveries omit properties their
    /// spec requires.
    Optional,
}

/// The overlay applied to a spec before it is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlaySource {
    /// An overlay file, relative to the spec's folder (where its settings file is), as the settings name
    /// it. The [`Builder`](crate::Builder) reads it; the pipeline alone reads no file and refuses it.
    File(PathBuf),
    /// An overlay already read.
    Loaded(Overlay),
}

/// The settings of one spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecConfig {
    /// The Rust module name, instead of the one derived from the file name.
    pub module: Option<String>,
    /// How deliveries are told apart.
    pub discriminator: DiscriminatorChoice,
    /// What the spec's examples may do to the types.
    pub examples: ExamplePolicy,
    /// Whether structurally identical schemas become one type (on by default).
    pub deduplicate: bool,
    /// What objects that say nothing about `additionalProperties` do with undeclared properties.
    pub unknown_properties: UnknownProperties,
    /// How the vendor signs deliveries.
    pub signature: SignatureScheme,
    /// Whether `required` properties are plain fields.
    pub required: RequiredProperties,
    /// The overlay to apply to the spec: named by the settings, found beside a spec file
    /// (`<name>.overlay.yaml`), or given.
    pub overlay: Option<OverlaySource>,
}

impl Default for SpecConfig {
    fn default() -> Self {
        Self {
            module: None,
            discriminator: DiscriminatorChoice::Infer,
            examples: ExamplePolicy::Widen,
            deduplicate: true,
            unknown_properties: UnknownProperties::Ignore,
            signature: SignatureScheme::Unspecified,
            required: RequiredProperties::AsDeclared,
            overlay: None,
        }
    }
}

impl SpecConfig {
    /// Reads a sidecar file; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// When the file is not YAML or JSON, is not a mapping, has an unknown key, or a value of the wrong
    /// kind, or a module name that is not a snake_case Rust identifier.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, Error> {
        let value = source::parse(file, bytes)?;
        let error = |pointer: JsonPointer, message: String| Error::Spec { file: file.to_owned(), pointer, message };
        let Some(map) = value.as_object() else {
            return Err(error(JsonPointer::root(), "the settings must be a mapping".to_owned()));
        };
        let mut config = Self::default();
        for (key, value) in map {
            let pointer = JsonPointer::root().push(key);
            match (key.as_str(), value) {
                ("module", Value::String(module)) => {
                    if naming::snake_name(module) != *module {
                        return Err(error(pointer, format!("`{module}` is not a snake_case Rust identifier")));
                    }
                    config.module = Some(module.clone());
                }
                ("discriminator", Value::String(property)) if property == "none" => {
                    config.discriminator = DiscriminatorChoice::None
                }
                ("discriminator", Value::String(property)) => {
                    config.discriminator = DiscriminatorChoice::Property(property.clone())
                }
                ("discriminator", Value::Null) => config.discriminator = DiscriminatorChoice::None,
                ("examples", Value::String(policy)) if policy == "widen" => config.examples = ExamplePolicy::Widen,
                ("examples", Value::String(policy)) if policy == "strict" => config.examples = ExamplePolicy::Strict,
                ("examples", _) => return Err(error(pointer, "`examples` must be `widen` or `strict`".to_owned())),
                ("deduplicate", Value::Bool(on)) => config.deduplicate = *on,
                ("deduplicate", _) => return Err(error(pointer, "`deduplicate` must be `true` or `false`".to_owned())),
                ("unknown_properties", Value::String(policy)) if policy == "keep" => {
                    config.unknown_properties = UnknownProperties::Keep
                }
                ("unknown_properties", Value::String(policy)) if policy == "ignore" => {
                    config.unknown_properties = UnknownProperties::Ignore
                }
                ("unknown_properties", _) => {
                    return Err(error(pointer, "`unknown_properties` must be `keep` or `ignore`".to_owned()));
                }
                ("signature", Value::String(scheme)) if scheme == "zoom" => config.signature = SignatureScheme::Zoom,
                ("signature", Value::String(scheme)) if scheme == "standard" => {
                    config.signature = SignatureScheme::Standard
                }
                ("signature", Value::String(scheme)) if scheme == "github" => {
                    config.signature = SignatureScheme::GitHub
                }
                ("signature", Value::String(scheme)) if scheme == "none" => config.signature = SignatureScheme::None,
                ("signature", _) => {
                    return Err(error(
                        pointer,
                        "`signature` must be `zoom`, `standard`, `github` or `none`".to_owned(),
                    ));
                }
                ("required", Value::String(policy)) if policy == "as_declared" => {
                    config.required = RequiredProperties::AsDeclared
                }
                ("required", Value::String(policy)) if policy == "optional" => {
                    config.required = RequiredProperties::Optional
                }
                ("required", _) => {
                    return Err(error(pointer, "`required` must be `as_declared` or `optional`".to_owned()));
                }
                ("overlay", Value::String(path)) if !path.is_empty() => {
                    config.overlay = Some(OverlaySource::File(PathBuf::from(path)))
                }
                ("overlay", _) => {
                    return Err(error(pointer, "`overlay` must be the path of an overlay file".to_owned()));
                }
                ("module" | "discriminator", _) => return Err(error(pointer, format!("`{key}` must be a string"))),
                _ => {
                    return Err(error(
                        pointer,
                        format!(
                            "unknown setting `{key}` (known: `module`, `discriminator`, `examples`, `deduplicate`, \
                             `unknown_properties`, `signature`, `required`, `overlay`)"
                        ),
                    ));
                }
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_settings() {
        let config = SpecConfig::parse("s.codegen.yaml", b"module: museum\ndiscriminator: type\n").unwrap();
        assert_eq!(config.module.as_deref(), Some("museum"));
        assert_eq!(config.discriminator, DiscriminatorChoice::Property("type".to_owned()));
        let none = SpecConfig::parse("s.codegen.yaml", b"discriminator: none\nexamples: strict\n").unwrap();
        assert_eq!(none.discriminator, DiscriminatorChoice::None);
        assert_eq!(none.examples, ExamplePolicy::Strict);
        assert_eq!(none.unknown_properties, UnknownProperties::Ignore, "the default");
        let keep = SpecConfig::parse("s.codegen.yaml", b"unknown_properties: keep\n").unwrap();
        assert_eq!(keep.unknown_properties, UnknownProperties::Keep);
    }

    #[test]
    fn reads_the_signature_scheme() {
        assert_eq!(SpecConfig::default().signature, SignatureScheme::Unspecified);
        for (text, scheme) in [
            ("signature: zoom\n", SignatureScheme::Zoom),
            ("signature: standard\n", SignatureScheme::Standard),
            ("signature: github\n", SignatureScheme::GitHub),
            ("signature: none\n", SignatureScheme::None),
        ] {
            assert_eq!(SpecConfig::parse("s.codegen.yaml", text.as_bytes()).unwrap().signature, scheme, "{text}");
        }
    }

    #[test]
    fn reads_the_required_policy() {
        assert_eq!(SpecConfig::default().required, RequiredProperties::AsDeclared);
        let optional = SpecConfig::parse("s.codegen.yaml", b"required: optional\n").unwrap();
        assert_eq!(optional.required, RequiredProperties::Optional);
        let declared = SpecConfig::parse("s.codegen.yaml", b"required: as_declared\n").unwrap();
        assert_eq!(declared.required, RequiredProperties::AsDeclared);
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"required: false\n").unwrap_err().to_string();
        assert_eq!(err, "specs/s.codegen.yaml#/required: `required` must be `as_declared` or `optional`");
    }

    #[test]
    fn reads_the_overlay_file_name() {
        let config = SpecConfig::parse("s.codegen.yaml", b"overlay: fixes/s.overlay.yaml\n").unwrap();
        assert_eq!(config.overlay, Some(OverlaySource::File(PathBuf::from("fixes/s.overlay.yaml"))));
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"overlay: [a.yaml]\n").unwrap_err().to_string();
        assert_eq!(err, "specs/s.codegen.yaml#/overlay: `overlay` must be the path of an overlay file");
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"modul: x\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "specs/s.codegen.yaml#/modul: unknown setting `modul` (known: `module`, `discriminator`, `examples`, `deduplicate`, `unknown_properties`, `signature`, `required`, `overlay`)"
        );
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"signature: hmac\n").unwrap_err().to_string();
        assert_eq!(err, "specs/s.codegen.yaml#/signature: `signature` must be `zoom`, `standard`, `github` or `none`");
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"examples: loose\n").unwrap_err().to_string();
        assert_eq!(err, "specs/s.codegen.yaml#/examples: `examples` must be `widen` or `strict`");
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"module: Not-Snake\n").unwrap_err().to_string();
        assert_eq!(err, "specs/s.codegen.yaml#/module: `Not-Snake` is not a snake_case Rust identifier");
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"discriminator: 3\n").unwrap_err().to_string();
        assert_eq!(err, "specs/s.codegen.yaml#/discriminator: `discriminator` must be a string");
        let err = SpecConfig::parse("specs/s.codegen.yaml", b"unknown_properties: true\n").unwrap_err().to_string();
        assert_eq!(err, "specs/s.codegen.yaml#/unknown_properties: `unknown_properties` must be `keep` or `ignore`");
    }
}
