//! Headers every answer carries unless its route set its own (a media file's stricter
//! sandbox, an asset's caching): scripts only from this origin and never inline, no framing by
//! other sites, nothing signed-in kept in shared or disk caches, no type sniffing.

use axum::http::{HeaderName, HeaderValue, header};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::SetResponseHeaderLayer;

/// Styles may be inline (bar widths and tree indents are set per row); scripts may not.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const DEFAULTS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::CACHE_CONTROL, "no-store"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
];

type Layer = SetResponseHeaderLayer<HeaderValue>;

/// The layers setting [`DEFAULTS`] where a route has not.
pub fn layer() -> ServiceBuilder<Stack<Layer, Stack<Layer, Stack<Layer, Stack<Layer, Identity>>>>> {
    let [a, b, c, d] =
        DEFAULTS.map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    ServiceBuilder::new().layer(a).layer(b).layer(c).layer(d)
}
