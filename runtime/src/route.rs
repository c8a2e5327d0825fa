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

use crate::{DispatchError, UnknownEvent};

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
#[derive(Clone)]
pub struct Route {
    module: &'static str,
    event_names: &'static [&'static str],
    inner: Arc<dyn ErasedRoute>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("module", &self.module)
            .field("event_names", &self.event_names)
            .finish_non_exhaustive()
    }
}

impl Route {
    /// The route of a generated module: `dispatch` parses a delivery of the named webhook and calls the
    /// handler (it is the module's `dispatch_named`, boxed).
    fn new<H, F>(module: &'static str, event_names: &'static [&'static str], handler: H, dispatch: F) -> Self
    where
        H: Send + Sync + 'static,
        F: for<'a> Fn(&'a H, &'a str, &'a [u8]) -> BoxFuture<'a, RouteResult> + Send + Sync + 'static,
    {
        Self { module, event_names, inner: Arc::new(ModuleRoute { handler, dispatch }) }
    }

    /// A route that hands the webhooks named in `event_names` to `handler` as [`UnknownEvent`]s (the name
    /// and the whole body as a JSON value).
    ///
    /// For webhooks that no module of this crate covers yet, such as Zoom events whose spec has not been
    /// added: `module` names the route in logs and in [`Route::module`].
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
        Self::new(module, event_names, handler, |handler: &F, name: &str, body: &[u8]| {
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

    /// Whether this route answers for the webhook `name`.
    pub fn handles(&self, name: &str) -> bool {
        self.event_names.contains(&name)
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

/// The route of a generated module (its `route(handler)`): `dispatch` is the module's `dispatch_named`,
/// boxed.
pub fn module_route<H, F>(module: &'static str, event_names: &'static [&'static str], handler: H, dispatch: F) -> Route
where
    H: Send + Sync + 'static,
    F: for<'a> Fn(&'a H, &'a str, &'a [u8]) -> BoxFuture<'a, RouteResult> + Send + Sync + 'static,
{
    Route::new(module, event_names, handler, dispatch)
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
