//! The `url::Url` form of request URIs, which the cookie jar needs, kept for the URIs asked
//! again: a session asks the same few URLs over and over (the poll loop), and parsing one
//! (IDNA included) costs more than the rest of a request's bookkeeping. A login's URLs are
//! each asked once (their queries differ), so a URI is kept only at its second request: an
//! idle session holds its poll URL, not the sixteen URLs of its login.
use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};

use http::Uri;
use url::Url;

/// URIs whose parsed form is kept.
pub const URL_CACHE_ENTRIES: usize = 8;

/// URIs asked once that are remembered (as a hash) so that their next request is kept.
const URL_SEEN_ENTRIES: usize = 16;

/// A small most-recently-used cache from `http::Uri` to `url::Url`, admitting a URI the
/// second time it is asked within the last [`URL_SEEN_ENTRIES`] misses.
#[derive(Debug, Default)]
pub(crate) struct UrlCache {
    entries: VecDeque<(Uri, Url)>,
    /// Hashes of URIs missed once, newest first. A collision only admits a URI early.
    seen: VecDeque<u64>,
}

fn uri_hash(uri: &Uri) -> u64 {
    // Fixed keys: no randomness in the core, and the hash never leaves this cache.
    let mut h = DefaultHasher::new();
    uri.hash(&mut h);
    h.finish()
}

impl UrlCache {
    /// The parsed form of `uri`, or `None` when the `url` crate refuses it.
    pub(crate) fn get(&mut self, uri: &Uri) -> Option<Url> {
        if let Some(i) = self.entries.iter().position(|(u, _)| u == uri) {
            let entry = self.entries.remove(i)?;
            let url = entry.1.clone();
            self.entries.push_front(entry);
            return Some(url);
        }
        let url: Url = uri.to_string().parse().ok()?;
        let hash = uri_hash(uri);
        if let Some(i) = self.seen.iter().position(|&h| h == hash) {
            self.seen.remove(i);
            if self.entries.len() == URL_CACHE_ENTRIES {
                self.entries.pop_back();
            }
            self.entries.push_front((uri.clone(), url.clone()));
        } else {
            if self.seen.len() == URL_SEEN_ENTRIES {
                self.seen.pop_back();
            }
            self.seen.push_front(hash);
        }
        Some(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_answer_as_parsing_and_bounded() {
        let mut cache = UrlCache::default();
        for round in 0..3 {
            for i in 0..(URL_CACHE_ENTRIES + 4) {
                // Each URI twice: the second time admits it.
                for _ in 0..2 {
                    let uri: Uri = format!("http://h{i}.qq.com/p?r={round}").parse().unwrap();
                    let want: Url = uri.to_string().parse().unwrap();
                    assert_eq!(cache.get(&uri), Some(want));
                    assert!(cache.entries.len() <= URL_CACHE_ENTRIES);
                    assert!(cache.seen.len() <= URL_SEEN_ENTRIES);
                }
            }
        }
        let poll: Uri = "http://d1.web2.qq.com/channel/poll2".parse().unwrap();
        cache.get(&poll);
        cache.get(&poll);
        assert_eq!(
            cache.entries.front().map(|(u, _)| u),
            Some(&poll),
            "most recent first"
        );
    }

    #[test]
    fn a_uri_is_kept_at_its_second_request_only() {
        let mut cache = UrlCache::default();
        let kept = |c: &UrlCache, uri: &Uri| c.entries.iter().any(|(u, _)| u == uri);
        let login: Vec<Uri> = (0..40)
            .map(|t| {
                format!("http://ptlogin2.qq.com/check?t={t}")
                    .parse()
                    .unwrap()
            })
            .collect();
        for uri in &login {
            assert!(cache.get(uri).is_some());
        }
        assert!(cache.entries.is_empty(), "URIs asked once are not kept");
        assert_eq!(
            cache.seen.len(),
            URL_SEEN_ENTRIES,
            "their memory is bounded"
        );
        let poll: Uri = "http://d1.web2.qq.com/channel/poll2".parse().unwrap();
        cache.get(&poll);
        assert!(!kept(&cache, &poll));
        cache.get(&poll);
        assert!(kept(&cache, &poll), "the second request keeps it");
        assert!(!cache.seen.contains(&uri_hash(&poll)));
        // One asked again after more than URL_SEEN_ENTRIES other misses was forgotten.
        cache.get(&login[0]);
        assert!(!kept(&cache, &login[0]));
    }
}
