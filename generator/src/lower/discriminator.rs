//! How `Event::from_slice` tells webhooks apart: the body property whose value names the webhook.
//!
//! Rules, first match wins:
//! 1. a top-level property whose value the spec fixes per webhook (`const` or a one-value `enum`), with
//!    a different value for every webhook (Svix and Resend use `type`);
//! 2. Zoom's convention: every payload declares a string `event` whose value is the webhook name;
//! 3. otherwise there is none, and only `Event::from_named` is generated.

use serde_json::Value;

use super::Lowerer;
use crate::ir::{Discriminator, DiscriminatorRule, Event, Field, TypeKind, TypeRef};

/// The property Zoom uses to name the event in every delivery.
const ZOOM_EVENT_PROPERTY: &str = "event";

impl Lowerer<'_, '_> {
    /// Finds the discriminator of the module's events, warning about examples that disagree with it.
    pub(super) fn find_discriminator(&mut self, events: &[Event]) -> Option<Discriminator> {
        let discriminator = self.fixed_value_property(events).or_else(|| self.event_name_property(events))?;
        for (event, expected) in events.iter().zip(&discriminator.values) {
            for example in &event.examples {
                if let Some(value) = example.value.get(&discriminator.property).and_then(Value::as_str) {
                    if value != expected {
                        self.warn(
                            &example.pointer,
                            format!(
                                "example's `{}` is `{value}`, not `{expected}` as for webhook `{}`; it is checked as `{}`",
                                discriminator.property, event.name, event.name
                            ),
                        );
                    }
                }
            }
        }
        Some(discriminator)
    }

    fn top_level_fields(&self, event: &Event) -> Option<&[Field]> {
        match &event.payload {
            TypeRef::Named(id) => match &self.types[*id].kind {
                TypeKind::Struct { fields } => Some(fields),
                _ => None,
            },
            _ => None,
        }
    }

    /// The one value a field can have, when the spec fixes it (`const` or a one-value `enum`).
    fn fixed_value<'f>(&'f self, field: &Field) -> Option<&'f str> {
        match &field.ty {
            TypeRef::Named(id) => match &self.types[*id].kind {
                TypeKind::StringEnum { variants } if variants.len() == 1 => Some(&variants[0].value),
                _ => None,
            },
            _ => None,
        }
    }

    /// Rule 1: a required top-level property with a fixed value per webhook, all values distinct.
    fn fixed_value_property(&self, events: &[Event]) -> Option<Discriminator> {
        let first = self.top_level_fields(events.first()?)?;
        'candidates: for candidate in first.iter().filter(|field| field.required && self.fixed_value(field).is_some()) {
            let mut values: Vec<String> = Vec::with_capacity(events.len());
            for event in events {
                let fields = self.top_level_fields(event)?;
                let field = fields.iter().find(|field| field.json_name == candidate.json_name && field.required);
                let Some(value) = field.and_then(|field| self.fixed_value(field)) else { continue 'candidates };
                if values.iter().any(|seen| seen == value) {
                    continue 'candidates;
                }
                values.push(value.to_owned());
            }
            return Some(Discriminator { property: candidate.json_name.clone(), rule: DiscriminatorRule::FixedValue, values });
        }
        None
    }

    /// Rule 2: every payload declares a string `event` (plain or enum) naming the webhook.
    fn event_name_property(&self, events: &[Event]) -> Option<Discriminator> {
        let every_event_has_name = !events.is_empty()
            && events.iter().all(|event| {
                self.top_level_fields(event).is_some_and(|fields| {
                    fields.iter().any(|field| {
                        field.json_name == ZOOM_EVENT_PROPERTY
                            && match &field.ty {
                                TypeRef::String => true,
                                TypeRef::Named(id) => matches!(self.types[*id].kind, TypeKind::StringEnum { .. }),
                                _ => false,
                            }
                    })
                })
            });
        every_event_has_name.then(|| Discriminator {
            property: ZOOM_EVENT_PROPERTY.to_owned(),
            rule: DiscriminatorRule::EventNameProperty,
            values: events.iter().map(|event| event.name.clone()).collect(),
        })
    }
}
