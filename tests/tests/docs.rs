//! The repository's Markdown: relative links resolve, the README stays a front door, and the code map
//! names every source file.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use pipeline_tests::workspace_root;

/// The README is the way in: what the project is, one example, links. Reference text lives in rustdoc.
const README_MAX_LINES: usize = 250;

/// Every `.md` file of the repository, skipping build output and hidden folders.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    dirs.push(path);
                }
            } else if name.ends_with(".md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Whether a Markdown file is pulled into rustdoc (`<crate>/docs/*.md`): its links are rustdoc's
/// intra-doc links, checked by `cargo doc` with warnings denied, and a file link would not resolve on
/// docs.rs.
fn is_rustdoc_source(root: &Path, file: &Path) -> bool {
    let relative = file.strip_prefix(root).unwrap_or(file);
    let parts: Vec<_> = relative.components().map(|part| part.as_os_str().to_string_lossy()).collect();
    parts.len() == 3 && parts[1] == "docs"
}

/// The lines of a Markdown text outside fenced code blocks, with inline code spans removed.
fn prose_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker = if trimmed.starts_with("```") {
            Some("```")
        } else if trimmed.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(marker)) => fence = Some(marker),
            (Some(open), Some(marker)) if open == marker => fence = None,
            (None, None) => lines.push(without_code_spans(line)),
            _ => {}
        }
    }
    lines
}

/// A line with its code spans (`` `...` ``, any number of backticks) left out.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The link targets of a Markdown text: inline links and images `[text](target)` and reference
/// definitions `[label]: target`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            if let Some(end) = trimmed.find("]:") {
                if let Some(target) = trimmed[end + 2..].split_whitespace().next() {
                    targets.push(target.trim_matches(['<', '>']).to_owned());
                    continue;
                }
            }
        }
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let mut depth = 0usize;
            let mut end = after.len();
            for (index, c) in after.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = index;
                        break;
                    }
                    ')' => depth -= 1,
                    _ => {}
                }
            }
            let inside = after[..end].trim();
            let target = inside.split_whitespace().next().unwrap_or("").trim_matches(['<', '>']);
            targets.push(target.to_owned());
            rest = &after[end.min(after.len())..];
        }
    }
    targets
}

/// Whether a link target is an intra-doc link of rustdoc (`Receiver::hand_off`, `crate::Route`, `serve`).
fn is_intra_doc(target: &str) -> bool {
    target.contains("::") || (!target.is_empty() && target.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// Whether a link target leaves the repository (a URL, a mail address).
fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

/// The anchors GitHub gives a Markdown file's headings: lower case, spaces as `-`, punctuation other
/// than `-` and `_` dropped, repeats numbered.
fn heading_anchors(text: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    for line in prose_lines_keeping_code(text) {
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|&c| c == '#').count();
        if level == 0 || level > 6 || !trimmed[level..].starts_with(' ') {
            continue;
        }
        let title = trimmed[level..].trim().trim_end_matches('#').trim();
        let title = without_link_targets(title);
        let slug: String = title
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect::<String>()
            .to_lowercase();
        let mut anchor = slug.clone();
        let mut repeat = 0;
        while anchors.contains(&anchor) {
            repeat += 1;
            anchor = format!("{slug}-{repeat}");
        }
        anchors.insert(anchor);
    }
    anchors
}

/// The lines outside fenced code blocks, code spans kept (a heading's code span is part of its anchor).
fn prose_lines_keeping_code(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence {
            lines.push(line.to_owned());
        }
    }
    lines
}

/// `[text](target)` as `text`.
fn without_link_targets(title: &str) -> String {
    let mut out = String::new();
    let mut rest = title;
    while let Some(at) = rest.find("](") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..].split_once(')').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out.replace('[', "")
}

/// What is wrong with one link of `file`, if anything.
fn broken_link(root: &Path, file: &Path, target: &str) -> Option<String> {
    if target.is_empty() || is_external(target) {
        return None;
    }
    if is_rustdoc_source(root, file) {
        if is_intra_doc(target) {
            return None;
        }
        return Some(format!("`{target}` is a file or anchor link in rustdoc text; docs.rs cannot resolve it"));
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let linked = if path.is_empty() { file.to_path_buf() } else { file.parent().unwrap_or(root).join(path) };
    if !linked.exists() {
        return Some(format!("`{target}`: {} does not exist", linked.display()));
    }
    if anchor.is_empty() || linked.extension().is_none_or(|extension| extension != "md") {
        return None;
    }
    let text = fs::read_to_string(&linked).unwrap_or_default();
    if heading_anchors(&text).contains(anchor) {
        None
    } else {
        Some(format!("`{target}`: {} has no heading with the anchor `#{anchor}`", linked.display()))
    }
}

/// Every relative link of every Markdown file, with what is wrong with it.
fn broken_links(root: &Path) -> Vec<String> {
    let mut broken = Vec::new();
    for file in markdown_files(root) {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for target in link_targets(&text) {
            if let Some(problem) = broken_link(root, &file, &target) {
                let relative = file.strip_prefix(root).unwrap_or(&file).display().to_string();
                broken.push(format!("{relative}: {problem}"));
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_resolves() {
    let root = workspace_root();
    let files = markdown_files(&root);
    assert!(files.iter().any(|file| file.ends_with("README.md")), "no Markdown found under {}", root.display());
    let broken = broken_links(&root);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_check_finds_a_broken_file_an_unknown_anchor_and_a_file_link_in_rustdoc_text() {
    let root = workspace_root();
    let readme = root.join("README.md");
    assert!(broken_link(&root, &readme, "ARCHITECTURE.md").is_none());
    assert!(broken_link(&root, &readme, "ARCHITECTURE.md#code-map").is_none());
    assert!(broken_link(&root, &readme, "https://docs.rs/webhook-runtime").is_none());
    assert!(broken_link(&root, &readme, "NO_SUCH_FILE.md").is_some());
    assert!(broken_link(&root, &readme, "ARCHITECTURE.md#no-such-heading").is_some());
    assert!(broken_link(&root, &readme, "#no-such-heading").is_some());
    let rustdoc_text = root.join("runtime").join("docs").join("answers.md");
    assert!(broken_link(&root, &rustdoc_text, "Receiver::hand_off").is_none());
    assert!(broken_link(&root, &rustdoc_text, "../../README.md").is_some());
    assert_eq!(
        link_targets("[a](x.md) `[b](y.md)` ![c](img/z.png \"title\")\n```\n[d](w.md)\n```\n[e]: <v.md>"),
        ["x.md", "img/z.png", "v.md"]
    );
    let anchors = heading_anchors("# The `serve` limits\n## Answers: 200, 401\n## Answers: 200, 401\n");
    for anchor in ["the-serve-limits", "answers-200-401", "answers-200-401-1"] {
        assert!(anchors.contains(anchor), "{anchors:?}");
    }
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= README_MAX_LINES, "README.md has {lines} lines; reference text belongs in the crate docs");
    // CI runs the test command the README gives to contributors.
    assert!(readme.contains("cargo test --workspace"), "README.md must give `cargo test --workspace`");
}

/// The `.rs` files under `dir`, relative to it, `/`-separated.
fn rust_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(current) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                let parts: Vec<_> = relative.components().map(|part| part.as_os_str().to_string_lossy()).collect();
                files.push(parts.join("/"));
            }
        }
    }
    files.sort();
    files
}

/// The code map's entry for a top-level folder: from its `- `folder/`` bullet to the next top-level
/// bullet or heading.
fn code_map_entry<'a>(architecture: &'a str, folder: &str) -> Option<&'a str> {
    let start = architecture.find(&format!("\n- `{folder}/`"))? + 1;
    let rest = &architecture[start..];
    let end = rest[1..].find("\n- ").map(|at| at + 1).into_iter().chain(rest.find("\n#")).min().unwrap_or(rest.len());
    Some(&rest[..end])
}

#[test]
fn the_code_map_names_every_source_file_in_its_crate() {
    let root = workspace_root();
    let architecture = fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut missing = Vec::new();
    for folder in ["generator", "runtime", "xtask"] {
        let entry = code_map_entry(&architecture, folder).unwrap_or_default();
        for file in rust_files(&root.join(folder).join("src")) {
            let name = file.rsplit('/').next().unwrap_or(&file);
            // A file is named by its path under `src/`, or by its name where that says which file it is.
            let ambiguous = matches!(name, "mod.rs" | "lib.rs" | "main.rs");
            if !entry.contains(&format!("`{file}`")) && (ambiguous || !entry.contains(&format!("`{name}`"))) {
                missing.push(format!("{folder}/src/{file}"));
            }
        }
    }
    // In `generated/`, only `src/lib.rs` is hand-written.
    let generated = code_map_entry(&architecture, "generated").unwrap_or_default();
    if !generated.contains("`src/lib.rs`") {
        missing.push("generated/src/lib.rs".to_owned());
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map does not name: {}", missing.join(", "));
}
