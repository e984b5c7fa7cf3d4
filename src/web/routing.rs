//! How the routes are laid out for the router. Declared flat (one line per
//! method and path in `portal_routes!`), they are registered as one
//! resource per path, and the resources as one scope per first path
//! segment: the router compares a request with a handful of static
//! prefixes before it tries any pattern with a `{placeholder}` (each a
//! regular expression), instead of trying every pattern declared before
//! its own. Each resource carries its template as data, so the request
//! log names the route without matching the path a second time.

use actix_web::{Resource, Route, web};

/// The route template a request matched (`/statistics/{id}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutePattern(pub &'static str);

/// The first segment of a path as a scope prefix (`/statistics` for
/// `/statistics/{id}/csv`); empty for `/` itself.
fn prefix(path: &str) -> &str {
    let rest = path.strip_prefix('/').unwrap_or(path);
    match rest.find('/') {
        Some(end) => &path[..=end],
        None => path,
    }
    .trim_end_matches('/')
}

/// Paths in declaration order, each with the routes (methods) it answers.
type Resources = Vec<(&'static str, Vec<Route>)>;

fn by_path(routes: Vec<(&'static str, Route)>) -> Resources {
    let mut resources: Resources = Vec::new();
    for (path, route) in routes {
        match resources.iter_mut().find(|(p, _)| *p == path) {
            Some((_, methods)) => methods.push(route),
            None => resources.push((path, vec![route])),
        }
    }
    resources
}

/// `pattern`, matched below its scope as `rest`; a method it does not
/// answer gets 405.
fn resource(rest: &str, pattern: &'static str, methods: Vec<Route>) -> Resource {
    methods.into_iter().fold(
        web::resource(rest).app_data(RoutePattern(pattern)),
        Resource::route,
    )
}

/// Registers `routes` ((path, route) in declaration order).
pub fn register(cfg: &mut web::ServiceConfig, routes: Vec<(&'static str, Route)>) {
    let mut scopes: Vec<(&'static str, Resources)> = Vec::new();
    for (path, methods) in by_path(routes) {
        let first = prefix(path);
        match scopes.iter_mut().find(|(p, _)| *p == first) {
            Some((_, members)) => members.push((path, methods)),
            None => scopes.push((first, vec![(path, methods)])),
        }
    }
    for (first, members) in scopes {
        if first.is_empty() {
            for (path, methods) in members {
                cfg.service(resource(path, path, methods));
            }
            continue;
        }
        let scope = members
            .into_iter()
            .fold(web::scope(first), |scope, (path, methods)| {
                let rest = path.get(first.len()..).unwrap_or_default();
                scope.service(resource(rest, path, methods))
            });
        cfg.service(scope);
    }
}

#[cfg(test)]
mod tests {
    use super::prefix;

    #[test]
    fn prefixes_are_first_segments() {
        assert_eq!(prefix("/"), "");
        assert_eq!(prefix("/statistics"), "/statistics");
        assert_eq!(prefix("/statistics/{id}/csv"), "/statistics");
        assert_eq!(prefix("/static/portal.css"), "/static");
        assert_eq!(prefix("/returns/{period}"), "/returns");
    }
}
