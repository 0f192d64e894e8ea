"""The edge: what every request meets on its way in and out — forwarding /api/<service>/... to the services
(proxy, over the pooled client of upstreams), the merged public API documents, browser security headers
and compression, per-address rate limits, who the client is behind trusted proxies, the buffered request
log, and the PWA's files with the fallbacks for unknown paths."""
