//! How `Event::from_slice` tells webhooks apart: the body property whose value names the webhook.
//!
//! Rules, first match wins:
//! 1. a top-level property whose value the spec fixes per webhook (`const` or a one-value `enum`), with
//!    a different value for every webhook (Svix and Resend use `type`);
//! 2. a top-level string property whose value is the webhook name: Zoom's `event` by convention, or any
//!    property whose `enum` lists each webhook's name (Adyen's `type`) or whose examples all carry it;
//! 3. otherwise there is none, and only `Event::from_named` is generated.
//!
//! A spec's settings can name the property instead, or say there is none.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use serde_json::Value;

use super::Lowerer;
use crate::config::DiscriminatorChoice;
use crate::ir::{Discriminator, DiscriminatorRule, Event, Field, TypeKind, TypeRef};
use crate::pointer::JsonPointer;

/// The property Zoom uses to name the event in every delivery.
const ZOOM_EVENT_PROPERTY: &str = "event";

impl Lowerer<'_, '_> {
    /// Finds the discriminator of the module's events, warning about examples that disagree with it.
    pub(super) fn find_discriminator(
        &mut self,
        events: &[Event],
        choice: &DiscriminatorChoice,
    ) -> Option<Discriminator> {
        let discriminator = match choice {
            DiscriminatorChoice::Infer => {
                self.fixed_value_property(events).or_else(|| self.event_name_property(events))?
            }
            DiscriminatorChoice::None => return None,
            DiscriminatorChoice::Property(property) => self.configured_property(events, property),
        };
        // A templated webhook's examples carry names that match it, not the template.
        for (event, expected) in events.iter().zip(&discriminator.values).filter(|(event, _)| !event.template) {
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

    /// Each event's top-level fields by JSON name (the first of a name), `None` for a payload that is
    /// not a struct: looked up once per candidate property and event.
    fn top_level_fields_by_name<'f>(&'f self, events: &[Event]) -> Vec<Option<HashMap<&'f str, &'f Field>>> {
        events
            .iter()
            .map(|event| {
                self.top_level_fields(event).map(|fields| {
                    let mut by_name = HashMap::with_capacity(fields.len());
                    for field in fields {
                        by_name.entry(field.json_name.as_str()).or_insert(field);
                    }
                    by_name
                })
            })
            .collect()
    }

    fn top_level_fields(&self, event: &Event) -> Option<&[Field]> {
        match &event.payload {
            TypeRef::Named(id) => match &self.types[*id].kind {
                TypeKind::Struct { fields, .. } => Some(fields),
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

    /// The property the settings name: its fixed value per webhook where the spec gives one, else the
    /// webhook name. Webhooks whose payload does not declare it are reported.
    fn configured_property(&mut self, events: &[Event], property: &str) -> Discriminator {
        let mut values = Vec::with_capacity(events.len());
        for event in events {
            let field =
                self.top_level_fields(event).and_then(|fields| fields.iter().find(|field| field.json_name == property));
            let declared = field.is_some();
            let value = field
                .and_then(|field| self.fixed_value(field))
                .map(str::to_owned)
                .unwrap_or_else(|| event.name.clone());
            if !declared {
                let pointer = match &event.payload {
                    TypeRef::Named(id) => self.types[*id].pointer.clone(),
                    _ => JsonPointer::root(),
                };
                self.warn(
                    &pointer,
                    format!("the configured discriminator `{property}` is not a property of webhook `{}`", event.name),
                );
            }
            values.push(value);
        }
        Discriminator { property: property.to_owned(), rule: DiscriminatorRule::Configured, values }
    }

    /// Rule 1: a required top-level property with a fixed value per webhook, all values distinct.
    fn fixed_value_property(&self, events: &[Event]) -> Option<Discriminator> {
        let first = self.top_level_fields(events.first()?)?;
        let by_name = self.top_level_fields_by_name(events);
        'candidates: for candidate in first.iter().filter(|field| field.required && self.fixed_value(field).is_some()) {
            let mut values: Vec<String> = Vec::with_capacity(events.len());
            let mut seen = HashSet::with_capacity(events.len());
            for fields in &by_name {
                let field = fields.as_ref()?.get(candidate.json_name.as_str()).filter(|field| field.required);
                let Some(value) = field.and_then(|field| self.fixed_value(field)) else { continue 'candidates };
                if !seen.insert(value) {
                    continue 'candidates;
                }
                values.push(value.to_owned());
            }
            return Some(Discriminator {
                property: candidate.json_name.clone(),
                rule: DiscriminatorRule::FixedValue,
                values,
            });
        }
        None
    }

    /// Rule 2: a top-level string property, present in every payload, whose value is the webhook name.
    /// `event` is tried first (Zoom's convention, accepted on its own); any other property needs evidence
    /// for every webhook: an `enum` that lists the webhook's name, or examples that all carry it.
    fn event_name_property(&self, events: &[Event]) -> Option<Discriminator> {
        let first = self.top_level_fields(events.first()?)?;
        let mut candidates: Vec<&str> = first.iter().map(|field| field.json_name.as_str()).collect();
        candidates.sort_by_key(|name| *name != ZOOM_EVENT_PROPERTY);
        let by_name = self.top_level_fields_by_name(events);
        // The values of each string enum a candidate is typed with, gathered the first time it is asked.
        let mut enum_values: HashMap<usize, HashSet<&str>> = HashMap::new();
        let mut names_webhook = |event: &Event, fields: &Option<HashMap<&str, &Field>>, property: &str| {
            let Some(field) = fields.as_ref().and_then(|fields| fields.get(property)) else {
                return false;
            };
            match &field.ty {
                TypeRef::String => {
                    property == ZOOM_EVENT_PROPERTY
                        || (!event.examples.is_empty()
                            && event.examples.iter().all(|example| {
                                example.value.get(property).and_then(Value::as_str) == Some(&event.name)
                            }))
                }
                TypeRef::Named(id) => match &self.types[*id].kind {
                    TypeKind::StringEnum { variants } => {
                        property == ZOOM_EVENT_PROPERTY
                            || enum_values
                                .entry(*id)
                                .or_insert_with(|| variants.iter().map(|variant| variant.value.as_str()).collect())
                                .contains(event.name.as_str())
                    }
                    _ => false,
                },
                _ => false,
            }
        };
        let property = candidates.into_iter().find(|property| {
            events.iter().zip(&by_name).all(|(event, fields)| names_webhook(event, fields, property))
        })?;
        Some(Discriminator {
            property: property.to_owned(),
            rule: DiscriminatorRule::EventNameProperty,
            values: events.iter().map(|event| event.name.clone()).collect(),
        })
    }
}
