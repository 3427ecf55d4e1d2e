//! Path normalisation and the router.
//!
//! A route lookup is one crossing in the common case: `routerRoute` returns a number, and only
//! when there is more to say (the path changed, the route has parameters, or the method is not
//! allowed) does the caller make a second crossing, `routerTakeExtra`, for one string. An
//! object out would cost about 570 ns and an array of strings in about 300 (see lib.rs); a
//! string out only about 30, but the common answer needs none at all. A second export
//! without the (usually empty) header argument was measured and dropped: it saved about 25 ns
//! of 400 per lookup, not worth a second entry point.

use std::borrow::Cow;

use jetway_core::wire::encode_outcome;
use jetway_core::{normalize, NormalizeOptions, PathMatch, RouteSpec, Router};
use napi::bindgen_prelude::External;
use napi_derive::napi;

use crate::guard::{fail, from_core, guard, Result, BAD_ARGUMENT};
use crate::text::InStr;

/// Separates the parts of the extra string and of the joined header values. NUL cannot occur
/// in a normalised path or a decoded parameter (`%00` is rejected), nor in a header value
/// (the caller replaces it, as RFC 9110 5.5 allows).
const SEP: char = '\0';

/// Options as three bits: 1 allow_encoded_slash, 2 allow_backslash, 4 merge_slashes.
fn options(flags: u32) -> NormalizeOptions {
    NormalizeOptions {
        allow_encoded_slash: flags & 1 != 0,
        allow_backslash: flags & 2 != 0,
        merge_slashes: flags & 4 != 0,
    }
}

/// Normalises `path`; returns null when it is already canonical (no string crosses back).
#[napi]
pub fn normalize_path(
    #[napi(ts_arg_type = "string")] path: InStr,
    flags: u32,
) -> Result<Option<String>> {
    guard(|| match normalize(path.as_str(), &options(flags)) {
        Ok(Cow::Borrowed(_)) => Ok(None),
        Ok(Cow::Owned(normal)) => Ok(Some(normal)),
        Err(kind) => Err(fail(
            kind.code(),
            format!("{}: {:?}", kind.code(), path.as_str()),
        )),
    })
}

/// One route as JavaScript describes it (`RouteSpec` in ts/hotpath/types.ts).
#[napi(object)]
pub struct RouteSpecInput {
    pub host: Option<String>,
    #[napi(ts_type = "{ exact?: string; prefix?: string; template?: string }")]
    pub path: PathInput,
    pub methods: Vec<String>,
    #[napi(ts_type = "Array<[string, string]>")]
    pub headers: Vec<Vec<String>>,
}

/// The one path condition of a route.
#[napi(object)]
pub struct PathInput {
    pub exact: Option<String>,
    pub prefix: Option<String>,
    pub template: Option<String>,
}

/// A compiled route table plus the extra answer of its last lookup.
pub struct RouterState {
    router: Router,
    extra: String,
}

fn route_spec(index: usize, input: RouteSpecInput) -> Result<RouteSpec> {
    let path = match (input.path.exact, input.path.prefix, input.path.template) {
        (Some(p), None, None) => PathMatch::Exact(p),
        (None, Some(p), None) => PathMatch::Prefix(p),
        (None, None, Some(p)) => PathMatch::Template(p),
        _ => {
            let why = format!(
                "routes[{}].path: needs exactly one of exact, prefix, template",
                index
            );
            return Err(fail(BAD_ARGUMENT, why));
        }
    };
    let mut headers = Vec::with_capacity(input.headers.len());
    for (h, pair) in input.headers.into_iter().enumerate() {
        if pair.len() != 2 {
            let why = format!("routes[{}].headers[{}]: needs [name, value]", index, h);
            return Err(fail(BAD_ARGUMENT, why));
        }
        let mut pair = pair.into_iter();
        headers.push((
            pair.next().unwrap_or_default(),
            pair.next().unwrap_or_default(),
        ));
    }
    Ok(RouteSpec {
        host: input.host,
        path,
        methods: input.methods,
        headers,
    })
}

/// Compiles a route table; throws `JETWAY_ROUTE_INVALID` for a bad route.
#[napi(ts_return_type = "ExternalObject<'RouterState'>")]
pub fn router_compile(routes: Vec<RouteSpecInput>, flags: u32) -> Result<External<RouterState>> {
    guard(|| {
        let mut specs = Vec::with_capacity(routes.len());
        for (index, input) in routes.into_iter().enumerate() {
            specs.push(route_spec(index, input)?);
        }
        let router = Router::new(specs, options(flags)).map_err(from_core)?;
        Ok(External::new(RouterState {
            router,
            extra: String::new(),
        }))
    })
}

/// The lower-case header names the router tests, in the order `routerRoute` wants values.
#[napi]
pub fn router_header_names(
    #[napi(ts_arg_type = "ExternalObject<'RouterState'>")] state: &External<RouterState>,
) -> Vec<String> {
    state.router.header_names().to_vec()
}

/// Normalises and routes one request.
///
/// `headers` is the values of `routerHeaderNames`, joined with NUL ('' when there are none).
/// Returns `route * 2 + 1` when `routerTakeExtra` has more (the normalised path when it
/// changed, and parameters), `route * 2` when not; [`NOT_FOUND`]; [`METHOD_NOT_ALLOWED`] with
/// the allowed methods in the extra; or `-(100 + n)` for a bad path of kind number n.
#[napi]
pub fn router_route(
    #[napi(ts_arg_type = "ExternalObject<'RouterState'>")] state: &mut External<RouterState>,
    #[napi(ts_arg_type = "string")] method: InStr,
    #[napi(ts_arg_type = "string")] host: InStr,
    #[napi(ts_arg_type = "string")] path: InStr,
    #[napi(ts_arg_type = "string")] headers: InStr,
) -> Result<i32> {
    guard(|| {
        let RouterState { router, extra } = &mut **state;
        let joined = headers.as_str();
        let values: Vec<&str> = match router.header_names().len() {
            0 => Vec::new(),
            n => joined
                .split(SEP)
                .chain(std::iter::repeat(""))
                .take(n)
                .collect(),
        };
        let outcome = router.route(method.as_str(), host.as_str(), path.as_str(), &values);
        Ok(encode_outcome(outcome, path.as_str(), extra))
    })
}

/// The extra part of the last `routerRoute` answer: for a match, the changed path (or '')
/// followed by NUL-separated name, value pairs; for method-not-allowed, NUL-joined methods.
#[napi]
pub fn router_take_extra(
    #[napi(ts_arg_type = "ExternalObject<'RouterState'>")] state: &External<RouterState>,
) -> String {
    state.extra.clone()
}
