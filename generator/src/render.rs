//! Stages 3 and 4 (emit and format) of one or more modules, on every core.
//!
//! A module is rendered in parts: its head (docs, imports, events, handler and route), then each named
//! type. A pool of workers takes the next part not taken yet, across all the modules, emits it and
//! prints it; each module's text is its parts joined in order. Items print the same alone as in a file
//! (`format::print`), so the text is the same byte for byte whatever the number of cores, and a part's
//! syntax tree is held only while it is printed. Tokens cannot cross threads: each part is emitted on
//! the worker that prints it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;
use crate::ir::Module;
use crate::{RenderOptions, emit, format};

/// One part of a module.
#[derive(Clone, Copy)]
enum Part {
    /// The module's docs, imports, events, handler and route.
    Head,
    /// The named type at this index, with its impls.
    Type(usize),
}

/// The text of each module, in the modules' order. The error is the first in that order (and within a
/// module, in part order); emitted tokens fail to parse only on a generator bug.
pub(crate) fn render_modules(modules: &[&Module], options: &RenderOptions) -> Result<Vec<String>, Error> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    render_on(modules, options, cores)
}

/// [`render_modules`] by at most `workers` threads, this one included.
fn render_on(modules: &[&Module], options: &RenderOptions, workers: usize) -> Result<Vec<String>, Error> {
    let runtime = crate::runtime_path(options)?;
    let jobs: Vec<(usize, Part)> = modules
        .iter()
        .enumerate()
        .flat_map(|(index, module)| {
            std::iter::once((index, Part::Head)).chain((0..module.types.len()).map(move |id| (index, Part::Type(id))))
        })
        .collect();
    let printed = print_parts(modules, &jobs, options, &runtime, workers);
    let mut texts = vec![String::new(); modules.len()];
    for ((index, _), part) in jobs.iter().zip(printed) {
        let part = part.unwrap_or_else(|| {
            Err(Error::Internal {
                file: modules[*index].source_file.clone(),
                message: "a part of the module was not rendered".to_owned(),
            })
        });
        texts[*index].push_str(&part?);
    }
    Ok(modules
        .iter()
        .zip(texts)
        .map(|(module, printed)| {
            let text = format::file_text(&module.source_file, &options.generator, &printed);
            if options.for_include {
                format::with_comment_after_header(&text, &emit::module_docs_text(module))
            } else {
                text
            }
        })
        .collect())
}

/// Every job's printed part, in the jobs' order, by this thread and up to `workers - 1` helper threads
/// (fewer when the system gives fewer: this thread alone takes every part the helpers do not). `None`
/// only for a part no thread printed, which cannot happen while this thread works to the end.
fn print_parts(
    modules: &[&Module],
    jobs: &[(usize, Part)],
    options: &RenderOptions,
    runtime: &syn::Path,
    workers: usize,
) -> Vec<Option<Result<String, Error>>> {
    let queue = Queue {
        modules,
        jobs,
        options,
        next: AtomicUsize::new(0),
        done: Mutex::new((0..jobs.len()).map(|_| None).collect()),
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers.min(jobs.len()))
            .filter_map(|_| {
                let queue = &queue;
                // Each thread parses its own copy of the runtime path (tokens cannot cross threads); it
                // parsed once already, so this cannot fail.
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || {
                        if let Ok(runtime) = crate::runtime_path(queue.options) {
                            queue.work(&runtime);
                        }
                    })
                    .ok()
            })
            .collect();
        queue.work(runtime);
        for helper in helpers {
            if let Err(panic) = helper.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    queue.done.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The parts to print, shared by the threads printing them.
struct Queue<'a> {
    modules: &'a [&'a Module],
    jobs: &'a [(usize, Part)],
    options: &'a RenderOptions,
    /// The next job not taken yet.
    next: AtomicUsize,
    /// Each job's printed part, once printed.
    done: Mutex<Vec<Option<Result<String, Error>>>>,
}

impl Queue<'_> {
    /// Takes the next part not taken yet and prints it, until none is left.
    fn work(&self, runtime: &syn::Path) {
        loop {
            let job = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&(index, part)) = self.jobs.get(job) else { break };
            let printed = print_part(self.modules[index], part, self.options, runtime);
            // A poisoned lock only means a helper panicked, which is passed on when it is joined.
            if let Ok(mut done) = self.done.lock() {
                done[job] = Some(printed);
            }
        }
    }
}

/// Emits and prints one part.
fn print_part(module: &Module, part: Part, options: &RenderOptions, runtime: &syn::Path) -> Result<String, Error> {
    match part {
        Part::Head => format::print(&module.source_file, emit::head(module, options, runtime)),
        Part::Type(id) => {
            let mut printed = String::new();
            for tokens in emit::type_def(module, &module.types[id]) {
                printed.push_str(&format::print(&module.source_file, tokens)?);
            }
            Ok(printed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SpecConfig;

    /// A spec with several named types: structs, a nested struct and an enum.
    fn spec(title: &str, events: usize) -> String {
        let mut text = format!("openapi: 3.1.0\ninfo: {{title: {title}, version: '1'}}\nwebhooks:\n");
        for event in 0..events {
            text.push_str(&format!(
                "  {title}.e{event}:\n    post:\n      requestBody:\n        content:\n          application/json:\n            \
                 schema:\n              type: object\n              required: [event]\n              properties:\n                \
                 event: {{type: string}}\n                state: {{type: string, enum: [on, off{event}]}}\n                \
                 object:\n                  type: object\n                  properties:\n                    id: {{type: integer}}\n                    \
                 n{event}: {{type: boolean}}\n"
            ));
        }
        text
    }

    fn lowered(title: &str, events: usize) -> Module {
        let file = format!("{title}.yaml");
        crate::lower_spec(&file, spec(title, events).as_bytes(), &SpecConfig::default()).expect("lowers").module
    }

    /// The module formatted as one file, as the parts are meant to print.
    fn whole(module: &Module, options: &RenderOptions) -> String {
        let runtime = crate::runtime_path(options).unwrap();
        let tokens = emit::module(module, options, &runtime);
        format::format_file(&module.source_file, &module.source_file, &options.generator, tokens).unwrap()
    }

    #[test]
    fn a_module_rendered_in_parts_on_several_threads_prints_as_the_whole_file() {
        let module = lowered("board", 6);
        assert!(module.types.len() >= 12, "more parts than workers: {}", module.types.len());
        let options = RenderOptions::default();
        let expected = whole(&module, &options);
        assert!(expected.contains("pub enum Event {") && expected.contains("pub struct BoardE5Object {"), "{expected}");
        for workers in [1, 2, 3, 8] {
            let rendered = render_on(&[&module], &options, workers).unwrap();
            assert_eq!(rendered, std::slice::from_ref(&expected), "{workers} workers");
        }
    }

    #[test]
    fn several_modules_come_back_in_order_each_as_rendered_alone() {
        let modules = [lowered("board", 3), lowered("card", 1), lowered("deck", 4)];
        let refs: Vec<&Module> = modules.iter().collect();
        let options = RenderOptions { for_include: true, ..RenderOptions::default() };
        let alone: Vec<String> =
            modules.iter().map(|module| render_on(&[module], &options, 1).unwrap().remove(0)).collect();
        assert_eq!(render_on(&refs, &options, 4).unwrap(), alone);
        // An included file keeps the module docs as comments under the header, not as `//!`.
        assert!(
            alone[1].starts_with("// @generated by webhook-codegen from card.yaml. Do not edit.\n// "),
            "{}",
            alone[1]
        );
        assert!(!alone[1].contains("//!"), "{}", alone[1]);
    }

    #[test]
    fn a_runtime_path_that_is_not_a_path_is_refused_before_any_work() {
        let module = lowered("board", 1);
        let options = RenderOptions { runtime_path: "not a path".to_owned(), ..RenderOptions::default() };
        let err = render_on(&[&module], &options, 4).unwrap_err().to_string();
        assert!(err.starts_with("invalid runtime_path: `not a path` is not a Rust path"), "{err}");
    }
}
