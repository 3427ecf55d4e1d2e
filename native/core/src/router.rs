//! The router: compiles a route table once, then matches host, method, path and headers.
//!
//! Precedence, decided at build time as far as possible:
//! 1. host class: an exact host beats the longest matching `*.suffix` wildcard, which beats
//!    routes for any host. Only the best class that exists for the request's host is searched,
//!    as with name-based virtual hosts: a path not found there is not looked up elsewhere;
//! 2. within the class, by path: exact, then templates (more literal segments first, then
//!    fewer variable segments, where `:name`, `*name` and `*` count one each), then prefixes
//!    (longest first); ties in declaration order;
//! 3. method and header conditions filter the candidates in that order; the first that passes
//!    wins.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, ErrorKind};
use crate::path::{normalize, percent_decode, NormalizeOptions, PathErrorKind};

/// How a route matches the normalised path. Patterns must already be in the form
/// [`normalize`] produces, with the router's options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathMatch {
    /// The whole path equals this one; `/a` does not match `/a/`.
    Exact(String),
    /// The path starts with this at a segment boundary: `/api` matches `/api`, `/api/` and
    /// `/api/x` but not `/apix`; `/api/` matches `/api/` and `/api/x` but not `/api`; `/`
    /// matches every path.
    Prefix(String),
    /// Segments to match one by one: a literal, `:name` (one non-empty segment), or, as the
    /// final segment only, `*name` or `*` (the rest of the path, possibly empty, slashes
    /// included). `/files/*p` matches `/files` and `/files/` with `p = ""`.
    Template(String),
}

/// One route as written in config; its position in the table is its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// An exact host (`api.example.test`, `[2001:db8::1]`), a wildcard (`*.example.test`, any
    /// depth of subdomain but not `example.test` itself), or None for any host.
    /// Case-insensitive; without a port.
    pub host: Option<String>,
    /// The path condition.
    pub path: PathMatch,
    /// Methods compared exactly (they are case-sensitive; config writes them upper-case);
    /// empty means any method.
    pub methods: Vec<String>,
    /// Header conditions: (lower-case name, exact value). An absent header has the value "".
    pub headers: Vec<(String, String)>,
}

/// The router's answer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteOutcome<'a> {
    /// Route `route` matched; `path` is the normalised path (borrowed when unchanged), which
    /// is what the upstream must receive; `params` are the template's variables, by name,
    /// percent-decoded (invalid UTF-8 becomes U+FFFD).
    Match {
        route: usize,
        path: Cow<'a, str>,
        params: Vec<(&'a str, String)>,
    },
    /// No route of the request's host class matches its path and headers.
    NotFound,
    /// Routes matched host, path and headers but none the method; `allow` is the union of
    /// their methods, sorted and without duplicates.
    MethodNotAllowed { allow: Vec<&'a str> },
    /// The path cannot be normalised safely; the request must be refused.
    BadPath(PathErrorKind),
}

/// A compiled route table. Immutable once built, so one table serves every thread.
///
/// Cost of [`Router::route`]: O(n) to normalise an n-byte path, O(1) expected for the host
/// and for exact paths, then O(T * s) for T templates of s segments and O(P * n) for P
/// prefixes in the host class, stopping at the first route that passes.
// TODO(perf): a segment trie over templates and prefixes would make large tables O(n).
#[derive(Clone, Debug)]
pub struct Router {
    routes: Vec<Compiled>,
    header_names: Vec<String>,
    classes: Vec<HostClass>,
    exact_hosts: HashMap<String, usize>,
    /// (`.suffix`, class), longest suffix first.
    wildcard_hosts: Vec<(String, usize)>,
    any_host: Option<usize>,
    opts: NormalizeOptions,
}

/// The routes of one host pattern, indexed by path kind in precedence order.
#[derive(Clone, Debug, Default)]
struct HostClass {
    exact: HashMap<String, Vec<usize>>,
    templates: Vec<usize>,
    prefixes: Vec<usize>,
}

#[derive(Clone, Debug)]
struct Compiled {
    methods: Vec<String>,
    /// (index into header_names, value)
    headers: Vec<(usize, String)>,
    path: CompiledPath,
}

#[derive(Clone, Debug)]
enum CompiledPath {
    Exact,
    Prefix(String),
    Template(Vec<Segment>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    /// The rest of the path; an empty name captures nothing.
    Rest(String),
}

impl Router {
    /// Compiles `routes`; the router normalises request paths with `opts`.
    ///
    /// Fails with [`ErrorKind::Route`], naming the route, for: a host that is empty, has a
    /// port, or has a `*` other than a leading `*.`; a path that does not normalise to itself;
    /// a template with an empty `:` name, a `*` segment that is not last, or a name used twice.
    pub fn new(routes: Vec<RouteSpec>, opts: NormalizeOptions) -> Result<Router, Error> {
        let mut router = Router {
            routes: Vec::with_capacity(routes.len()),
            header_names: Vec::new(),
            classes: Vec::new(),
            exact_hosts: HashMap::new(),
            wildcard_hosts: Vec::new(),
            any_host: None,
            opts,
        };
        for (id, spec) in routes.into_iter().enumerate() {
            router
                .add(id, spec)
                .map_err(|why| Error::new(ErrorKind::Route, format!("routes[{}].{}", id, why)))?;
        }

        // Stable sorts: equal keys stay in declaration order.
        router
            .wildcard_hosts
            .sort_by_key(|w| std::cmp::Reverse(w.0.len()));
        for class in router.classes.iter_mut() {
            let routes = &router.routes;
            class
                .templates
                .sort_by_key(|&id| template_rank(&routes[id].path));
            class.prefixes.sort_by_key(|&id| match &routes[id].path {
                CompiledPath::Prefix(p) => std::cmp::Reverse(p.len()),
                _ => std::cmp::Reverse(0),
            });
        }
        Ok(router)
    }

    /// The lower-case names of every header some route tests, each once, in order of first
    /// use. [`Router::route`] takes the request's values in this order.
    pub fn header_names(&self) -> &[String] {
        &self.header_names
    }

    /// The number of routes in the table.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether the table has no route (then every path is NotFound, or BadPath).
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Finds the route for a request.
    ///
    /// `host` is the `Host` header or `:authority` (a port and one trailing dot are ignored);
    /// `raw_path` is the request target's path without the query; `header_values[i]` is the
    /// value of `header_names()[i]`, or "" when absent (missing trailing values count as "").
    /// Allocates only for a path that normalisation changes and for template parameters.
    pub fn route<'a>(
        &'a self,
        method: &str,
        host: &str,
        raw_path: &'a str,
        header_values: &[&str],
    ) -> RouteOutcome<'a> {
        let path = match normalize(raw_path, &self.opts) {
            Ok(path) => path,
            Err(kind) => return RouteOutcome::BadPath(kind),
        };
        let class = match self.host_class(host) {
            Some(class) => class,
            None => return RouteOutcome::NotFound,
        };
        if let Some((route, params)) = self.find(class, &path, method, header_values) {
            return RouteOutcome::Match {
                route,
                path,
                params,
            };
        }
        self.not_found(class, &path, header_values)
    }

    /// The first candidate of `class` that passes every condition, with its parameters.
    fn find(
        &self,
        class: &HostClass,
        path: &str,
        method: &str,
        header_values: &[&str],
    ) -> Option<(usize, Vec<(&str, String)>)> {
        let mut params = Vec::new();
        for id in candidates(class, path) {
            params.clear();
            let route = &self.routes[id];
            if route.path_matches(path, &mut params)
                && route.method_matches(method)
                && route.headers_match(header_values)
            {
                return Some((id, params));
            }
        }
        None
    }

    /// NotFound, or MethodNotAllowed when some candidate failed on its method alone.
    fn not_found<'a>(
        &'a self,
        class: &HostClass,
        path: &str,
        header_values: &[&str],
    ) -> RouteOutcome<'a> {
        let mut allow: Vec<&'a str> = Vec::new();
        let mut scratch = Vec::new();
        for id in candidates(class, path) {
            let route = &self.routes[id];
            if route.path_matches(path, &mut scratch) && route.headers_match(header_values) {
                allow.extend(route.methods.iter().map(String::as_str));
            }
        }
        if allow.is_empty() {
            return RouteOutcome::NotFound;
        }
        allow.sort_unstable();
        allow.dedup();
        RouteOutcome::MethodNotAllowed { allow }
    }

    /// The best host class for `host`, if any route can serve it.
    fn host_class(&self, host: &str) -> Option<&HostClass> {
        let host = strip_port(host);
        let host = host.strip_suffix('.').unwrap_or(host);
        let mut buf = [0u8; 256];
        if let Some(lower) = ascii_lower(host, &mut buf) {
            if let Some(&class) = self.exact_hosts.get(lower) {
                return Some(&self.classes[class]);
            }
            for (suffix, class) in &self.wildcard_hosts {
                if lower.len() > suffix.len() && lower.ends_with(suffix.as_str()) {
                    return Some(&self.classes[*class]);
                }
            }
        }
        self.any_host.map(|class| &self.classes[class])
    }

    fn add(&mut self, id: usize, spec: RouteSpec) -> Result<(), String> {
        let class = self.class_for(spec.host.as_deref())?;
        let path = self.compile_path(&spec.path)?;
        let headers = spec
            .headers
            .into_iter()
            .map(|(name, value)| (self.header_index(&name), value))
            .collect();

        let class = &mut self.classes[class];
        match (&path, spec.path) {
            (CompiledPath::Exact, PathMatch::Exact(p)) => {
                class.exact.entry(p).or_default().push(id)
            }
            (CompiledPath::Template(_), _) => class.templates.push(id),
            _ => class.prefixes.push(id),
        }
        self.routes.push(Compiled {
            methods: spec.methods,
            headers,
            path,
        });
        Ok(())
    }

    /// The class index for a host pattern, created on first use.
    fn class_for(&mut self, host: Option<&str>) -> Result<usize, String> {
        let next = self.classes.len();
        let class = match host {
            None => *self.any_host.get_or_insert(next),
            Some(pattern) => {
                let pattern = check_host(pattern)?;
                match pattern.strip_prefix('*') {
                    Some(suffix) => find_or_push(&mut self.wildcard_hosts, suffix, next),
                    None => *self.exact_hosts.entry(pattern).or_insert(next),
                }
            }
        };
        if class == next {
            self.classes.push(HostClass::default());
        }
        Ok(class)
    }

    fn compile_path(&self, path: &PathMatch) -> Result<CompiledPath, String> {
        let (field, text) = match path {
            PathMatch::Exact(p) => ("exact", p),
            PathMatch::Prefix(p) => ("prefix", p),
            PathMatch::Template(p) => ("template", p),
        };
        match normalize(text, &self.opts) {
            Ok(Cow::Borrowed(_)) => {}
            Ok(Cow::Owned(n)) => {
                return Err(format!(
                    "path.{}: {:?} is not normalised ({:?})",
                    field, text, n
                ))
            }
            Err(kind) => return Err(format!("path.{}: {:?}: {}", field, text, kind.code())),
        }
        match path {
            PathMatch::Exact(_) => Ok(CompiledPath::Exact),
            PathMatch::Prefix(p) => Ok(CompiledPath::Prefix(p.clone())),
            PathMatch::Template(p) => parse_template(p)
                .map(CompiledPath::Template)
                .map_err(|why| format!("path.template: {:?}: {}", p, why)),
        }
    }

    fn header_index(&mut self, name: &str) -> usize {
        let name = name.to_ascii_lowercase();
        match self.header_names.iter().position(|n| *n == name) {
            Some(i) => i,
            None => {
                self.header_names.push(name);
                self.header_names.len() - 1
            }
        }
    }
}

impl Compiled {
    fn method_matches(&self, method: &str) -> bool {
        self.methods.is_empty() || self.methods.iter().any(|m| m == method)
    }

    fn headers_match(&self, values: &[&str]) -> bool {
        self.headers
            .iter()
            .all(|(i, want)| values.get(*i).copied().unwrap_or("") == want)
    }

    /// Whether `path` matches; pushes template parameters onto `params`.
    fn path_matches<'a>(&'a self, path: &str, params: &mut Vec<(&'a str, String)>) -> bool {
        match &self.path {
            // Exact candidates come from the map, keyed by the whole path.
            CompiledPath::Exact => true,
            CompiledPath::Prefix(prefix) => prefix_matches(prefix, path),
            CompiledPath::Template(segments) => template_matches(segments, path, params),
        }
    }
}

/// The candidates of a class for `path`, in precedence order.
fn candidates<'c>(class: &'c HostClass, path: &str) -> impl Iterator<Item = usize> + 'c {
    let exact = class.exact.get(path).map_or(&[][..], |ids| &ids[..]);
    exact
        .iter()
        .chain(class.templates.iter())
        .chain(class.prefixes.iter())
        .copied()
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

fn template_matches<'a>(
    segments: &'a [Segment],
    path: &str,
    params: &mut Vec<(&'a str, String)>,
) -> bool {
    let mut rest = Some(&path[1..]);
    for segment in segments {
        if let Segment::Rest(name) = segment {
            if !name.is_empty() {
                params.push((name, percent_decode(rest.unwrap_or("")).into_owned()));
            }
            return true;
        }
        let text = match rest {
            Some(text) => text,
            None => return false,
        };
        let (head, tail) = match text.split_once('/') {
            Some((head, tail)) => (head, Some(tail)),
            None => (text, None),
        };
        match segment {
            Segment::Literal(literal) if literal == head => {}
            Segment::Param(name) if !head.is_empty() => {
                params.push((name, percent_decode(head).into_owned()))
            }
            _ => return false,
        }
        rest = tail;
    }
    rest.is_none()
}

fn parse_template(template: &str) -> Result<Vec<Segment>, String> {
    let parts: Vec<&str> = template[1..].split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let segment = if let Some(name) = part.strip_prefix(':') {
            if name.is_empty() {
                return Err("a `:` segment needs a name".to_string());
            }
            Segment::Param(name.to_string())
        } else if let Some(name) = part.strip_prefix('*') {
            if i + 1 != parts.len() {
                return Err("a `*` segment must be the last".to_string());
            }
            Segment::Rest(name.to_string())
        } else {
            Segment::Literal(part.to_string())
        };
        if let Some(name) = segment_name(&segment) {
            if segments.iter().any(|s| segment_name(s) == Some(name)) {
                return Err(format!("parameter {:?} is used twice", name));
            }
        }
        segments.push(segment);
    }
    Ok(segments)
}

fn segment_name(segment: &Segment) -> Option<&str> {
    match segment {
        Segment::Param(name) | Segment::Rest(name) if !name.is_empty() => Some(name),
        _ => None,
    }
}

/// Sort key of a template: more literal segments first, then fewer variable ones.
fn template_rank(path: &CompiledPath) -> (std::cmp::Reverse<usize>, usize) {
    let segments = match path {
        CompiledPath::Template(segments) => segments,
        _ => return (std::cmp::Reverse(0), 0),
    };
    let literals = segments
        .iter()
        .filter(|s| matches!(s, Segment::Literal(_)))
        .count();
    (std::cmp::Reverse(literals), segments.len() - literals)
}

/// Lower-cases a host pattern and checks its form; keeps a leading `*.`.
fn check_host(pattern: &str) -> Result<String, String> {
    let host = pattern
        .strip_suffix('.')
        .unwrap_or(pattern)
        .to_ascii_lowercase();
    let body = host.strip_prefix("*.").unwrap_or(&host);
    // A port can never match: request hosts lose theirs before the lookup.
    let port = body.contains(':') && !body.starts_with('[');
    let bad = body.is_empty()
        || port
        || body.contains('*')
        || body.bytes().any(|b| b <= b' ' || b == b'/' || b >= 0x7f);
    if bad {
        return Err(format!(
            "host: {:?} is not a host name or `*.suffix` wildcard",
            pattern
        ));
    }
    Ok(host)
}

fn find_or_push(list: &mut Vec<(String, usize)>, suffix: &str, next: usize) -> usize {
    match list.iter().find(|(s, _)| s == suffix) {
        Some(&(_, class)) => class,
        None => {
            list.push((suffix.to_string(), next));
            next
        }
    }
}

/// The host without its port: `[v6]:port` keeps `[v6]`, `name:port` keeps `name`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    host.split(':').next().unwrap_or(host)
}

/// `host` lower-cased into `buf`, or None when longer than `buf` (no valid host is).
fn ascii_lower<'b>(host: &str, buf: &'b mut [u8; 256]) -> Option<&'b str> {
    let out = buf.get_mut(..host.len())?;
    for (o, b) in out.iter_mut().zip(host.bytes()) {
        *o = b.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(host: Option<&str>, path: PathMatch, methods: &[&str]) -> RouteSpec {
        RouteSpec {
            host: host.map(str::to_string),
            path,
            methods: methods.iter().map(|m| m.to_string()).collect(),
            headers: Vec::new(),
        }
    }

    fn exact(p: &str) -> PathMatch {
        PathMatch::Exact(p.to_string())
    }

    fn prefix(p: &str) -> PathMatch {
        PathMatch::Prefix(p.to_string())
    }

    fn template(p: &str) -> PathMatch {
        PathMatch::Template(p.to_string())
    }

    fn router(routes: Vec<RouteSpec>) -> Router {
        Router::new(routes, NormalizeOptions::default()).unwrap()
    }

    fn route_id(r: &Router, method: &str, host: &str, path: &str) -> Option<usize> {
        match r.route(method, host, path, &[]) {
            RouteOutcome::Match { route, .. } => Some(route),
            _ => None,
        }
    }

    #[test]
    fn matches_the_normalised_path_and_returns_it_for_forwarding() {
        let r = router(vec![
            spec(None, prefix("/public"), &[]),
            spec(None, prefix("/private"), &[]),
        ]);
        match r.route("GET", "example.test", "/public/%2e%2e/private/report", &[]) {
            RouteOutcome::Match { route, path, .. } => {
                assert_eq!(route, 1);
                assert_eq!(path, "/private/report");
            }
            other => panic!("{:?}", other),
        }
        let semicolon = r.route("GET", "example.test", "/public/..;/private/report", &[]);
        assert_eq!(
            semicolon,
            RouteOutcome::BadPath(PathErrorKind::DotSemicolon)
        );
    }

    #[test]
    fn an_unchanged_path_is_borrowed_not_copied() {
        let r = router(vec![spec(None, prefix("/"), &[])]);
        match r.route("GET", "h", "/a/b", &[]) {
            RouteOutcome::Match { path, params, .. } => {
                assert!(matches!(path, Cow::Borrowed(_)));
                assert!(params.is_empty());
            }
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn prefixes_match_at_segment_boundaries_only() {
        let r = router(vec![
            spec(None, prefix("/api"), &[]),
            spec(None, prefix("/v1/"), &[]),
        ]);
        assert_eq!(route_id(&r, "GET", "h", "/api"), Some(0));
        assert_eq!(route_id(&r, "GET", "h", "/api/"), Some(0));
        assert_eq!(route_id(&r, "GET", "h", "/api/x"), Some(0));
        assert_eq!(route_id(&r, "GET", "h", "/apix"), None);
        assert_eq!(route_id(&r, "GET", "h", "/v1"), None);
        assert_eq!(route_id(&r, "GET", "h", "/v1/"), Some(1));
    }

    #[test]
    fn exact_beats_template_beats_prefix_whatever_the_order() {
        let r = router(vec![
            spec(None, prefix("/users"), &[]),
            spec(None, template("/users/:id"), &[]),
            spec(None, exact("/users/me"), &[]),
            spec(None, prefix("/users/me"), &[]),
        ]);
        assert_eq!(route_id(&r, "GET", "h", "/users/me"), Some(2));
        assert_eq!(route_id(&r, "GET", "h", "/users/7"), Some(1));
        assert_eq!(route_id(&r, "GET", "h", "/users/me/x"), Some(3));
        assert_eq!(route_id(&r, "GET", "h", "/users/7/x"), Some(0));
    }

    #[test]
    fn templates_with_more_literals_then_fewer_params_win() {
        let r = router(vec![
            spec(None, template("/:a/:b/:c"), &[]),
            spec(None, template("/x/:b/*rest"), &[]),
            spec(None, template("/x/:b/:c"), &[]),
            spec(None, template("/x/y/:c"), &[]),
        ]);
        assert_eq!(route_id(&r, "GET", "h", "/x/y/z"), Some(3));
        // A `*rest` counts as one variable segment, so routes 1 and 2 tie: declared first wins.
        assert_eq!(route_id(&r, "GET", "h", "/x/q/z"), Some(1));
        assert_eq!(route_id(&r, "GET", "h", "/x/q/z/w"), Some(1));
        assert_eq!(route_id(&r, "GET", "h", "/a/b/c"), Some(0));
    }

    #[test]
    fn template_params_are_percent_decoded_and_rest_may_be_empty() {
        let r = router(vec![
            spec(None, template("/u/:name/files/*path"), &[]),
            spec(None, template("/any/*"), &[]),
        ]);
        let got = r.route("GET", "h", "/u/J%C3%B6rg/files/a/b%20c", &[]);
        match got {
            RouteOutcome::Match { params, .. } => assert_eq!(
                params,
                vec![
                    ("name", "J\u{f6}rg".to_string()),
                    ("path", "a/b c".to_string())
                ]
            ),
            other => panic!("{:?}", other),
        }
        for path in ["/u/x/files", "/u/x/files/"] {
            match r.route("GET", "h", path, &[]) {
                RouteOutcome::Match { params, .. } => {
                    assert_eq!(params[1], ("path", String::new()))
                }
                other => panic!("{}: {:?}", path, other),
            }
        }
        assert_eq!(route_id(&r, "GET", "h", "/u//files"), None);
        match r.route("GET", "h", "/any/x/y", &[]) {
            RouteOutcome::Match { params, .. } => assert!(params.is_empty()),
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn an_exact_host_beats_the_longest_wildcard_which_beats_any_host() {
        let r = router(vec![
            spec(None, prefix("/"), &[]),
            spec(Some("*.example.test"), prefix("/"), &[]),
            spec(Some("*.api.example.test"), prefix("/"), &[]),
            spec(Some("www.api.example.test"), prefix("/"), &[]),
        ]);
        assert_eq!(
            route_id(&r, "GET", "WWW.Api.Example.Test:8443", "/"),
            Some(3)
        );
        assert_eq!(route_id(&r, "GET", "v2.api.example.test", "/"), Some(2));
        assert_eq!(route_id(&r, "GET", "a.b.example.test.", "/"), Some(1));
        assert_eq!(route_id(&r, "GET", "example.test", "/"), Some(0));
        assert_eq!(route_id(&r, "GET", "[::1]:80", "/"), Some(0));
    }

    #[test]
    fn the_best_host_class_is_searched_alone() {
        let r = router(vec![
            spec(None, prefix("/health"), &[]),
            spec(Some("api.example.test"), prefix("/v1"), &[]),
        ]);
        assert_eq!(route_id(&r, "GET", "api.example.test", "/health"), None);
        assert_eq!(route_id(&r, "GET", "other.test", "/health"), Some(0));
    }

    #[test]
    fn a_path_matched_by_other_methods_is_method_not_allowed_with_their_union() {
        let r = router(vec![
            spec(None, exact("/a"), &["POST", "GET"]),
            spec(None, prefix("/a"), &["PUT", "GET"]),
            spec(None, prefix("/b"), &[]),
        ]);
        let got = r.route("DELETE", "h", "/a", &[]);
        let allow = vec!["GET", "POST", "PUT"];
        assert_eq!(got, RouteOutcome::MethodNotAllowed { allow });
        assert_eq!(route_id(&r, "PUT", "h", "/a"), Some(1));
        assert_eq!(route_id(&r, "DELETE", "h", "/b"), Some(2));
        assert_eq!(r.route("get", "h", "/c", &[]), RouteOutcome::NotFound);
    }

    #[test]
    fn header_conditions_filter_in_precedence_order() {
        let mut v2 = spec(None, prefix("/api"), &[]);
        v2.headers = vec![("X-Version".to_string(), "2".to_string())];
        let mut beta = spec(None, prefix("/api"), &[]);
        beta.headers = vec![("x-beta".to_string(), "1".to_string())];
        let r = router(vec![v2, beta, spec(None, prefix("/api"), &[])]);
        assert_eq!(r.header_names(), ["x-version", "x-beta"]);

        let pick = |values: &[&str]| match r.route("GET", "h", "/api", values) {
            RouteOutcome::Match { route, .. } => route,
            other => panic!("{:?}", other),
        };
        assert_eq!(pick(&["2", "1"]), 0);
        assert_eq!(pick(&["3", "1"]), 1);
        assert_eq!(pick(&["3", ""]), 2);
        assert_eq!(pick(&[]), 2);
    }

    #[test]
    fn bad_paths_are_reported_before_the_host_is_looked_at() {
        let r = router(vec![]);
        assert!(r.is_empty());
        let got = r.route("GET", "h", "/a/../..", &[]);
        assert_eq!(got, RouteOutcome::BadPath(PathErrorKind::AboveRoot));
        assert_eq!(r.route("GET", "h", "/a", &[]), RouteOutcome::NotFound);
    }

    #[test]
    fn build_rejects_bad_hosts_paths_and_templates_naming_the_route() {
        let bad = [
            spec(Some(""), prefix("/"), &[]),
            spec(Some("a.*.test"), prefix("/"), &[]),
            spec(Some("*"), prefix("/"), &[]),
            spec(Some("a b"), prefix("/"), &[]),
            spec(Some("example.test:8080"), prefix("/"), &[]),
            spec(None, prefix("api"), &[]),
            spec(None, exact("/a/../b"), &[]),
            spec(None, exact("/%7e"), &[]),
            spec(None, template("/a/:/b"), &[]),
            spec(None, template("/a/*x/b"), &[]),
            spec(None, template("/:id/:id"), &[]),
            spec(None, template("/:id/*id"), &[]),
        ];
        for route in bad {
            let err = Router::new(
                vec![spec(None, prefix("/"), &[]), route.clone()],
                Default::default(),
            )
            .unwrap_err();
            assert_eq!(err.code(), "JETWAY_ROUTE_INVALID", "{:?}", route);
            assert!(err.context.starts_with("routes[1]."), "{}", err);
        }
    }

    #[test]
    fn declaration_order_breaks_ties() {
        let r = router(vec![
            spec(None, template("/a/:x"), &[]),
            spec(None, template("/:y/b"), &[]),
            spec(None, exact("/e"), &["GET"]),
            spec(None, exact("/e"), &[]),
        ]);
        assert_eq!(route_id(&r, "GET", "h", "/a/b"), Some(0));
        assert_eq!(route_id(&r, "GET", "h", "/e"), Some(2));
        assert_eq!(route_id(&r, "POST", "h", "/e"), Some(3));
    }
}
