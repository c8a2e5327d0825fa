//! The route table a receiver and a worker share: the routes by webhook name, the fallback for webhooks no
//! route answers for, the hand-over of payloads that do not match their schema, and panics caught.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;

use crate::error_chain::ErrorChain;
use crate::route::{BoxError, BoxFuture};
use crate::{DispatchError, InvalidDelivery, ParseError, Received, Route, UnknownEvent};

/// For one discriminator property: each value's route index and the webhook name it selects.
type ValueTable = HashMap<&'static str, (usize, &'static str)>;

/// A receiver- or worker-level handler of `T`, its error boxed.
pub(crate) type Fallback<T> = Arc<dyn Fn(T) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// Boxes `handler` as a [`Fallback`].
pub(crate) fn fallback<T, F, Fut, E>(handler: F) -> Fallback<T>
where
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    Arc::new(move |input| {
        let call = handler(input);
        Box::pin(async move { call.await.map_err(Into::into) })
    })
}

/// The routes of a receiver or worker, with its fallbacks.
#[derive(Clone, Default)]
pub(crate) struct Routes {
    routes: Vec<Route>,
    /// For each discriminator property (in the order routes introduced them), the route index and
    /// webhook name each of its values selects.
    by_value: Vec<(&'static str, ValueTable)>,
    /// For webhooks no route answers for.
    unknown: Option<Fallback<UnknownEvent>>,
    /// For signed deliveries whose payload does not match its webhook's schema.
    invalid: Option<Fallback<InvalidDelivery>>,
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("routes", &self.routes)
            .field("on_unknown", &self.unknown.is_some())
            .field("on_invalid", &self.invalid.is_some())
            .finish()
    }
}

/// Why [`Routes::handle`] did not complete.
pub(crate) enum Failure {
    /// The body does not parse as the webhook's payload, and no `on_invalid` took it (or it is not a
    /// payload mismatch but a malformed body).
    Parse(ParseError),
    /// The handler (or a fallback) returned an error.
    Handler(BoxError),
    /// The handler (or a fallback) panicked; the panic's message.
    Panic(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse(err) => write!(f, "{}", ErrorChain(err)),
            Self::Handler(err) => write!(f, "{}", ErrorChain(&**err)),
            Self::Panic(message) => write!(f, "the handler panicked: {message}"),
        }
    }
}

#[cfg(feature = "axum")]
/// The webhook a delivery names, as [`Routes::resolve`] found it.
pub(crate) struct Resolved<'b> {
    /// The discriminator property that named it.
    pub(crate) property: &'static str,
    /// The property's value in the body.
    pub(crate) value: std::borrow::Cow<'b, str>,
    /// The route answering for it and the webhook name it selects; `None` for the fallback.
    pub(crate) target: Option<(usize, &'static str)>,
}

impl Routes {
    /// Adds a route; webhook names already claimed by an earlier route stay with that route.
    pub(crate) fn push(&mut self, route: Route) {
        let index = self.routes.len();
        if let Some(property) = route.discriminator() {
            let position = match self.by_value.iter().position(|(known, _)| *known == property) {
                Some(position) => position,
                None => {
                    self.by_value.push((property, HashMap::new()));
                    self.by_value.len() - 1
                }
            };
            let table = &mut self.by_value[position].1;
            for (value, name) in route.selectors() {
                table.entry(value).or_insert((index, name));
            }
        } else {
            tracing::warn!(module = route.module(), "a route without a discriminator receives no delivery");
        }
        self.routes.push(route);
    }

    pub(crate) fn set_unknown(&mut self, handler: Fallback<UnknownEvent>) {
        self.unknown = Some(handler);
    }

    pub(crate) fn set_invalid(&mut self, handler: Fallback<InvalidDelivery>) {
        self.invalid = Some(handler);
    }

    #[cfg(feature = "axum")]
    /// The routes, in the order they were added.
    pub(crate) fn routes(&self) -> &[Route] {
        &self.routes
    }

    #[cfg(feature = "axum")]
    /// Whether some route reads the body property `property`.
    pub(crate) fn reads(&self, property: &str) -> bool {
        self.by_value.iter().any(|(known, _)| *known == property)
    }

    #[cfg(feature = "axum")]
    /// Whether any route has a discriminator.
    pub(crate) fn has_discriminators(&self) -> bool {
        !self.by_value.is_empty()
    }

    #[cfg(feature = "axum")]
    /// The webhook a verified body names: by each discriminator property of the routes in turn, the first
    /// value some route answers for; else the first value found, for the fallback. With `zoom_event`, Zoom's
    /// `event` is read last. A property given twice refuses the body, whatever the others say.
    pub(crate) fn resolve<'b>(&self, body: &'b [u8], zoom_event: bool) -> Result<Resolved<'b>, ParseError> {
        let zoom = std::iter::once(("event", None)).filter(|_| zoom_event);
        let properties = self.by_value.iter().map(|(property, table)| (*property, Some(table))).chain(zoom);
        let mut found = None;
        let mut first_error = None;
        for (property, table) in properties {
            match crate::private::discriminator(body, property) {
                Ok(value) => {
                    let exact = table.and_then(|table| table.get(&*value).copied());
                    let target = exact.or_else(|| table.and_then(|_| self.by_template(property, &value)));
                    if let Some(target) = target {
                        return Ok(Resolved { property, value, target: Some(target) });
                    }
                    found.get_or_insert(Resolved { property, value, target: None });
                }
                Err(err @ ParseError::DuplicateEventName { .. }) => return Err(err),
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        match (found, first_error) {
            (Some(found), _) => Ok(found),
            (None, Some(err)) => Err(err),
            (None, None) => Err(ParseError::MissingEventName { property: "event" }),
        }
    }

    #[cfg(feature = "axum")]
    /// For a `property` value no route lists: the first route reading `property` with a webhook whose
    /// value or name is a template the value matches ([`Route::event_for`]).
    fn by_template(&self, property: &str, value: &str) -> Option<(usize, &'static str)> {
        self.routes.iter().enumerate().find_map(|(index, route)| {
            (route.discriminator() == Some(property))
                .then(|| route.event_for(value))
                .flatten()
                .map(|name| (index, name))
        })
    }

    #[cfg(feature = "axum")]
    /// The route at `index` (from [`Resolved::target`]).
    pub(crate) fn get(&self, index: usize) -> Option<&Route> {
        self.routes.get(index)
    }

    #[cfg(any(feature = "axum", feature = "nats"))]
    /// The route for a delivery handed off as the webhook `name` of `module` (or named by its scheme, GitHub's): the first route of that
    /// module answering for the name, else the first route listing the name, else the first with a
    /// templated name it matches (as [`Routes::resolve`] picks them).
    pub(crate) fn find(&self, module: Option<&str>, name: &str) -> Option<&Route> {
        let of_module =
            module.and_then(|module| self.routes.iter().find(|route| route.module() == module && route.handles(name)));
        of_module
            .or_else(|| self.routes.iter().find(|route| route.event_names().contains(&name)))
            .or_else(|| self.routes.iter().find(|route| route.handles(name)))
    }

    /// Runs the route's handler (or the `on_unknown` fallback when `route` is `None`) on the delivery
    /// `received`, inside its [`Received::scope`], catching a panic; a payload that does not match its
    /// schema goes to the `on_invalid` handler when there is one (inside the scope too).
    pub(crate) async fn handle(&self, route: Option<&Route>, received: &Received) -> Result<(), Failure> {
        let dispatch = self.dispatch(route, received.name(), received.body());
        let result = match catch_unwind(received.clone().scope(dispatch)).await {
            Ok(result) => result,
            Err(panic) => return Err(Failure::Panic(panic_message(&*panic).to_owned())),
        };
        result.map_err(|err| match err {
            DispatchError::Parse(err) => Failure::Parse(err),
            DispatchError::Handler(err) => Failure::Handler(err),
        })
    }

    async fn dispatch(&self, route: Option<&Route>, name: &str, body: &[u8]) -> Result<(), DispatchError<BoxError>> {
        let result = match route {
            Some(route) => route.dispatch(name, body).await,
            None => self.unknown(name, body).await,
        };
        match (result, &self.invalid) {
            (Err(DispatchError::Parse(error @ ParseError::InvalidPayload { .. })), Some(invalid)) => {
                tracing::warn!(event = name, %error, "the payload does not match its schema; handing it over raw");
                let delivery = InvalidDelivery { name: name.to_owned(), body: body.to_vec(), error };
                invalid(delivery).await.map_err(DispatchError::Handler)
            }
            (result, _) => result,
        }
    }

    /// Hands a webhook no route answers for to the fallback.
    async fn unknown(&self, name: &str, body: &[u8]) -> Result<(), DispatchError<BoxError>> {
        let Some(fallback) = &self.unknown else {
            tracing::debug!(event = name, "accepted a webhook no route declares");
            return Ok(());
        };
        let event = UnknownEvent::parse(name, body)?;
        fallback(event).await.map_err(DispatchError::Handler)
    }
}

/// Runs `future`, turning a panic inside it into an error, so a panicking handler still gets an answer
/// and leaves the receiver or worker serving.
async fn catch_unwind<T>(future: impl Future<Output = T>) -> Result<T, Box<dyn Any + Send>> {
    let mut future = std::pin::pin!(future);
    // The future is dropped after a panic, never polled again, so no broken state is observed.
    std::future::poll_fn(move |cx| match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(panic) => Poll::Ready(Err(panic)),
    })
    .await
}

/// The message of a panic payload, when it has one.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(message), _) => message,
        (None, Some(message)) => message,
        (None, None) => "(no message)",
    }
}

#[cfg(all(test, any(feature = "axum", feature = "nats")))]
mod tests {
    use super::*;

    fn route(module: &'static str, names: &'static [&'static str]) -> Route {
        Route::from_fn(module, names, |_: UnknownEvent| async { Ok::<_, std::convert::Infallible>(()) })
    }

    #[test]
    fn a_handed_off_delivery_goes_to_its_module_else_to_the_first_route_of_its_name() {
        let mut routes = Routes::default();
        routes.push(route("meetings", &["meeting.started", "meeting.ended"]));
        routes.push(route("recordings", &["meeting.started"]));
        let module = |module, name| routes.find(module, name).map(Route::module);
        assert_eq!(module(Some("recordings"), "meeting.started"), Some("recordings"));
        assert_eq!(module(Some("meetings"), "meeting.started"), Some("meetings"));
        // A module this worker does not route, or one that does not answer for the name: by name alone.
        assert_eq!(module(Some("webinars"), "meeting.started"), Some("meetings"));
        assert_eq!(module(Some("recordings"), "meeting.ended"), Some("meetings"));
        assert_eq!(module(None, "meeting.ended"), Some("meetings"));
        assert_eq!(module(Some("meetings"), "webinar.started"), None);
    }

    #[cfg(feature = "axum")]
    #[test]
    fn a_concrete_name_reaches_the_route_of_the_template_it_matches() {
        let mut routes = Routes::default();
        routes.push(route("contacts", &["contact.created"]));
        routes.push(route("crm", &["{dataType}.write.successful"]));
        let resolved = routes.resolve(br#"{"event":"deal.write.successful"}"#, false).ok().unwrap();
        assert_eq!(resolved.target, Some((1, "{dataType}.write.successful")));
        assert_eq!(routes.find(None, "deal.write.successful").map(Route::module), Some("crm"));
        let resolved = routes.resolve(br#"{"event":"deal.deleted"}"#, false).ok().unwrap();
        assert_eq!(resolved.target, None);
    }

    /// A route listing a name exactly wins over an earlier one whose template matches it, by the body's
    /// discriminator and by the name a scheme or a hand-off gives alike.
    #[cfg(feature = "axum")]
    #[test]
    fn an_exact_name_wins_over_an_earlier_template() {
        let mut routes = Routes::default();
        routes.push(route("crm", &["{dataType}.write.successful"]));
        routes.push(route("contacts", &["contact.write.successful"]));
        let resolved = routes.resolve(br#"{"event":"contact.write.successful"}"#, false).ok().unwrap();
        assert_eq!(resolved.target, Some((1, "contact.write.successful")));
        assert_eq!(routes.find(None, "contact.write.successful").map(Route::module), Some("contacts"));
        assert_eq!(routes.find(None, "deal.write.successful").map(Route::module), Some("crm"));
    }
}
