//! The one encoding of a route outcome that both binding layers (napi and WASM) hand to
//! TypeScript (`ts/hotpath/route-code.ts` decodes it): a number, plus an "extra" string only
//! when the answer needs text. Numbers cross a boundary far cheaper than objects do.

use crate::router::RouteOutcome;

/// Result: no route matched host and path.
pub const NOT_FOUND: i32 = -1;
/// Result: a route matched host and path but not the method.
pub const METHOD_NOT_ALLOWED: i32 = -2;
/// Result base for a bad path: the result is `-(BAD_PATH_BASE + kind number)`.
pub const BAD_PATH_BASE: i32 = 100;
/// Separates the parts of the extra string. NUL cannot occur in a normalised path or a
/// decoded parameter (`%00` is rejected).
pub const SEP: char = '\0';

/// Encodes `outcome` for a request whose raw path was `raw`, writing the extra part.
///
/// A match is `route * 2 + 1` when the extra holds text (the changed path, or '' when
/// unchanged, followed by SEP-separated name, value pairs), `route * 2` when it is empty; a
/// method-not-allowed answer puts the SEP-joined methods in the extra.
pub fn encode_outcome(outcome: RouteOutcome<'_>, raw: &str, extra: &mut String) -> i32 {
    extra.clear();
    match outcome {
        RouteOutcome::Match {
            route,
            path,
            params,
        } => {
            if path != raw {
                extra.push_str(&path);
            }
            for (name, value) in params {
                extra.push(SEP);
                extra.push_str(name);
                extra.push(SEP);
                extra.push_str(&value);
            }
            (route as i32) * 2 + i32::from(!extra.is_empty())
        }
        RouteOutcome::NotFound => NOT_FOUND,
        RouteOutcome::MethodNotAllowed { allow } => {
            for (i, method) in allow.iter().enumerate() {
                if i > 0 {
                    extra.push(SEP);
                }
                extra.push_str(method);
            }
            METHOD_NOT_ALLOWED
        }
        RouteOutcome::BadPath(kind) => -(BAD_PATH_BASE + kind.as_u32() as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::PathErrorKind;
    use std::borrow::Cow;

    #[test]
    fn an_unchanged_path_without_params_needs_no_extra() {
        let mut extra = String::from("stale");
        let outcome = RouteOutcome::Match {
            route: 3,
            path: Cow::Borrowed("/a"),
            params: vec![],
        };
        assert_eq!(encode_outcome(outcome, "/a", &mut extra), 6);
        assert_eq!(extra, "");
    }

    #[test]
    fn a_changed_path_and_params_go_in_the_extra() {
        let mut extra = String::new();
        let outcome = RouteOutcome::Match {
            route: 1,
            path: Cow::Owned("/u/7".to_string()),
            params: vec![("id", "7".to_string())],
        };
        assert_eq!(encode_outcome(outcome, "/u/./7", &mut extra), 3);
        assert_eq!(extra, "/u/7\u{0}id\u{0}7");
    }

    #[test]
    fn refusals_are_negative_numbers() {
        let mut extra = String::new();
        let allow = RouteOutcome::MethodNotAllowed {
            allow: vec!["GET", "HEAD"],
        };
        assert_eq!(encode_outcome(allow, "/", &mut extra), METHOD_NOT_ALLOWED);
        assert_eq!(extra, "GET\0HEAD");
        assert_eq!(
            encode_outcome(RouteOutcome::NotFound, "/", &mut extra),
            NOT_FOUND
        );
        let bad = RouteOutcome::BadPath(PathErrorKind::AboveRoot);
        let code = -(BAD_PATH_BASE + PathErrorKind::AboveRoot.as_u32() as i32);
        assert_eq!(encode_outcome(bad, "/..", &mut extra), code);
    }
}
