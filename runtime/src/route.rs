//! Type-erased routes: one spec module's handler behind one type, so a receiver can hold the handlers of
//! every module of the crate and pick one by webhook name.
//!
//! Each generated module has a `route(handler)` function returning a [`Route`]. [`Route::from_fn`] builds
//! one from a closure, for webhooks no generated module covers yet. Routes do not depend on any web
//! framework; `axum::Receiver` (feature `axum`) serves them over HTTP.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::template::template_matches;
use crate::{DispatchError, ParseError, UnknownEvent};

/// A handler error with its type erased, as routes and receivers report it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed future that can move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The outcome of [`Route::dispatch`]: a parse error, or the handler's error with its type erased.
pub type RouteResult = Result<(), DispatchError<BoxError>>;

/// The handlers of one spec module (or of one [`Route::from_fn`] closure), behind one type.
///
/// A route answers for the webhooks named in [`Route::event_names`]. Cloning is cheap and shares the
/// handler. A generated module's `route(handler)` gives the route of its `Handler`, such as
/// `number_management::route(handler)`, which answers for the module's `EVENT_NAMES`.
///
/// A route also knows which body property names the webhook of a delivery ([`Route::discriminator`]:
/// Zoom's `event`, Svix's `type`, ...), so a receiver can route a body without knowing the vendor.
#[derive(Clone)]
pub struct Route {
    module: &'static str,
    event_names: &'static [&'static str],
    discriminator: Option<Discriminator>,
    inner: Arc<dyn ErasedRoute>,
}

/// The body property that names a route's webhooks, and the value that selects each of them.
#[derive(Debug, Clone, Copy)]
struct Discriminator {
    property: &'static str,
    /// One value per event name, in the same order.
    values: &'static [&'static str],
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("module", &self.module)
            .field("event_names", &self.event_names)
            .field("discriminator", &self.discriminator.map(|discriminator| discriminator.property))
            .finish_non_exhaustive()
    }
}

impl Route {
    /// The route of a generated module: `dispatch` parses a delivery of the named webhook and calls the
    /// handler (it is the module's `dispatch_named`, boxed).
    fn new<H, F>(
        module: &'static str,
        event_names: &'static [&'static str],
        discriminator: Option<Discriminator>,
        handler: H,
        dispatch: F,
    ) -> Self
    where
        H: Send + Sync + 'static,
        F: for<'a> Fn(&'a H, &'a str, &'a [u8]) -> BoxFuture<'a, RouteResult> + Send + Sync + 'static,
    {
        Self { module, event_names, discriminator, inner: Arc::new(ModuleRoute { handler, dispatch }) }
    }

    /// A route that hands the webhooks named in `event_names` to `handler` as [`UnknownEvent`]s (the name
    /// and the whole body as a JSON value).
    ///
    /// For webhooks that no module of this crate covers yet, such as Zoom events whose spec has not been
    /// added: `module` names the route in logs and in [`Route::module`]. Deliveries name their webhook in
    /// the body's `event` property (Zoom's); [`Route::with_discriminator`] names another.
    ///
    /// ```
    /// use webhook_runtime::{Route, UnknownEvent};
    ///
    /// let route = Route::from_fn("meetings", &["meeting.started", "meeting.ended"], |event: UnknownEvent| async move {
    ///     println!("{} {}", event.name, event.body["payload"]["object"]["id"]);
    ///     Ok::<_, std::convert::Infallible>(())
    /// });
    /// assert!(route.handles("meeting.started"));
    /// ```
    pub fn from_fn<F, Fut, E>(module: &'static str, event_names: &'static [&'static str], handler: F) -> Self
    where
        F: Fn(UnknownEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let discriminator = Discriminator { property: "event", values: event_names };
        Self::new(module, event_names, Some(discriminator), handler, |handler: &F, name: &str, body: &[u8]| {
            let event = UnknownEvent::parse(name, body);
            let call = event.map(handler);
            Box::pin(async move {
                match call {
                    Ok(future) => future.await.map_err(|err| DispatchError::Handler(err.into())),
                    Err(err) => Err(DispatchError::Parse(err)),
                }
            })
        })
    }

    /// The name of the module this route serves, such as `number_management`.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// The webhooks this route answers for.
    pub fn event_names(&self) -> &'static [&'static str] {
        self.event_names
    }

    /// Whether this route answers for the webhook `name`: one of its event names, or a name that matches
    /// one of them that is a template (`{dataType}.write.successful` answers for
    /// `contact.write.successful`).
    pub fn handles(&self, name: &str) -> bool {
        self.event_names.iter().any(|candidate| template_matches(candidate, name))
    }

    /// The body property whose value names the webhook of a delivery (`event` for Zoom, `type` for
    /// Svix), or `None` for a module generated without one (`discriminator: none`), whose deliveries a
    /// receiver cannot tell apart by their body.
    pub fn discriminator(&self) -> Option<&'static str> {
        self.discriminator.map(|discriminator| discriminator.property)
    }

    /// Sets the body property that names the webhook of a delivery, whose values are the event names:
    /// for a [`Route::from_fn`] route of a vendor that does not use `event`.
    ///
    /// ```
    /// use webhook_runtime::{Route, UnknownEvent};
    ///
    /// let route = Route::from_fn("svix", &["message.attempt.exhausted"], |_: UnknownEvent| async {
    ///     Ok::<_, std::convert::Infallible>(())
    /// })
    /// .with_discriminator("type");
    /// assert_eq!(route.discriminator(), Some("type"));
    /// ```
    #[must_use]
    pub fn with_discriminator(mut self, property: &'static str) -> Self {
        self.discriminator = Some(Discriminator { property, values: self.event_names });
        self
    }

    /// The webhook name that the [`Route::discriminator`] value `value` selects, as the module's
    /// `from_slice` reads it: the event whose value it is, else the event of that name, else the first
    /// event whose value or name is a template `value` matches (that template); `None` when the route
    /// has no such webhook.
    pub fn event_for(&self, value: &str) -> Option<&'static str> {
        let values = self.discriminator.map_or(&[][..], |discriminator| discriminator.values);
        let by_value = |matches: &dyn Fn(&str) -> bool| {
            let index = values.iter().position(|candidate| matches(candidate))?;
            self.event_names.get(index).copied()
        };
        let by_name = |matches: &dyn Fn(&str) -> bool| self.event_names.iter().find(|name| matches(name)).copied();
        let exact = |candidate: &str| candidate == value;
        let template = |candidate: &str| template_matches(candidate, value);
        by_value(&exact).or_else(|| by_name(&exact)).or_else(|| by_value(&template)).or_else(|| by_name(&template))
    }

    /// Each discriminator value this route answers for, with the webhook it selects, as `from_slice`
    /// reads them: the events' values first, then their names (a value that is no event's value is taken
    /// as a name).
    #[cfg(any(feature = "axum", feature = "nats"))]
    pub(crate) fn selectors(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        let values = self.discriminator.map_or(&[][..], |discriminator| discriminator.values);
        values
            .iter()
            .copied()
            .zip(self.event_names.iter().copied())
            .chain(self.event_names.iter().map(|name| (*name, *name)))
    }

    /// Parses a delivery of the webhook `name` and calls the handler, like the module's `dispatch_named`.
    ///
    /// A name the route does not answer for reaches the handler's `on_unknown` (for a generated module).
    ///
    /// # Errors
    ///
    /// [`DispatchError::Parse`] when the body does not parse as that webhook's payload,
    /// [`DispatchError::Handler`] with the handler's error, boxed, when the handler fails.
    pub async fn dispatch(&self, name: &str, body: &[u8]) -> RouteResult {
        self.inner.dispatch(name, body).await
    }
}

/// A correctly signed delivery of a known webhook whose payload does not match the webhook's schema: the
/// vendor's payload drifted from its own spec (a required property left out, an integer where the spec
/// says string). Handed to the `on_invalid` handler of a receiver (`axum::Receiver::on_invalid`) or worker
/// (`nats::Worker::on_invalid`) whole, so it can be kept and handled later rather than refused and, after
/// the vendor's retries, lost.
#[derive(Debug)]
#[non_exhaustive]
pub struct InvalidDelivery {
    /// The webhook name, from the body's discriminator property (Zoom's `event`).
    pub name: String,
    /// The body, byte for byte as received (its signature was checked over these bytes).
    pub body: Vec<u8>,
    /// Why the payload does not parse, with the path of the failing field
    /// ([`ParseError::InvalidPayload`]).
    pub error: ParseError,
}

/// The route of a generated module (its `route(handler)`): `dispatch` is the module's `dispatch_named`,
/// boxed; `discriminator` is the body property naming the webhook and the value selecting each event (in
/// `event_names` order), when the module has one.
pub fn module_route<H, F>(
    module: &'static str,
    event_names: &'static [&'static str],
    discriminator: Option<(&'static str, &'static [&'static str])>,
    handler: H,
    dispatch: F,
) -> Route
where
    H: Send + Sync + 'static,
    F: for<'a> Fn(&'a H, &'a str, &'a [u8]) -> BoxFuture<'a, RouteResult> + Send + Sync + 'static,
{
    let discriminator = discriminator.map(|(property, values)| Discriminator { property, values });
    Route::new(module, event_names, discriminator, handler, dispatch)
}

/// Boxes the handler error of a module's `dispatch_named` result.
pub async fn erase<E: Into<BoxError>>(dispatch: impl Future<Output = Result<(), DispatchError<E>>>) -> RouteResult {
    dispatch.await.map_err(|err| match err {
        DispatchError::Parse(err) => DispatchError::Parse(err),
        DispatchError::Handler(err) => DispatchError::Handler(err.into()),
    })
}

/// What a [`Route`] holds: a handler and the function that dispatches to it.
trait ErasedRoute: Send + Sync {
    fn dispatch<'a>(&'a self, name: &'a str, body: &'a [u8]) -> BoxFuture<'a, RouteResult>;
}

struct ModuleRoute<H, F> {
    handler: H,
    dispatch: F,
}

impl<H, F> ErasedRoute for ModuleRoute<H, F>
where
    H: Send + Sync,
    F: for<'a> Fn(&'a H, &'a str, &'a [u8]) -> BoxFuture<'a, RouteResult> + Send + Sync,
{
    fn dispatch<'a>(&'a self, name: &'a str, body: &'a [u8]) -> BoxFuture<'a, RouteResult> {
        (self.dispatch)(&self.handler, name, body)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    const NAMES: &[&str] = &["contact.created", "{dataType}.write.successful", "{dataType}.write.{outcome}"];

    #[test]
    fn a_concrete_name_is_handled_by_the_template_it_matches() {
        let route = Route::from_fn("crm", NAMES, |_: UnknownEvent| async { Ok::<_, std::convert::Infallible>(()) });
        assert!(route.handles("contact.created"));
        assert!(route.handles("contact.write.successful"));
        assert!(route.handles("deal.write.failed"));
        assert!(!route.handles("contact.deleted"));
        assert!(!route.handles(".write.successful"));
        assert_eq!(route.event_for("contact.created"), Some("contact.created"));
        // Exact names first, then templates in order.
        assert_eq!(route.event_for("deal.write.successful"), Some("{dataType}.write.successful"));
        assert_eq!(route.event_for("deal.write.failed"), Some("{dataType}.write.{outcome}"));
        assert_eq!(route.event_for("deal.read.failed"), None);
    }

    #[test]
    fn a_templated_value_selects_its_webhook() {
        let route = module_route(
            "crm",
            &["contact_created", "write_successful"],
            Some(("type", &["contact.created", "{dataType}.write.successful"])),
            (),
            |_: &(), _: &str, _: &[u8]| Box::pin(async { Ok(()) }),
        );
        assert_eq!(route.event_for("deal.write.successful"), Some("write_successful"));
        assert_eq!(route.event_for("contact.created"), Some("contact_created"));
        assert_eq!(route.event_for("write_successful"), Some("write_successful"));
    }

    #[test]
    fn a_delivery_of_a_concrete_name_reaches_the_handler() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler_seen = Arc::clone(&seen);
        let route = Route::from_fn("crm", NAMES, move |event: UnknownEvent| {
            handler_seen.lock().unwrap().push(event.name);
            async { Ok::<_, std::convert::Infallible>(()) }
        });
        let name = "contact.write.successful";
        assert!(route.handles(name));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(route.dispatch(name, br#"{"event":"contact.write.successful"}"#)).unwrap();
        assert_eq!(*seen.lock().unwrap(), [name]);
    }
}
