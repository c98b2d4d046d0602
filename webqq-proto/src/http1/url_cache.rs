//! The `url::Url` form of request URIs, which the cookie jar needs, kept for the URIs seen
//! last: a session asks the same few URLs over and over (the poll loop), and parsing one
//! (IDNA included) costs more than the rest of a request's bookkeeping.
use std::collections::VecDeque;

use http::Uri;
use url::Url;

/// URIs whose parsed form is kept.
pub const URL_CACHE_ENTRIES: usize = 16;

/// A small most-recently-used cache from `http::Uri` to `url::Url`.
#[derive(Debug, Default)]
pub(crate) struct UrlCache {
    entries: VecDeque<(Uri, Url)>,
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
        if self.entries.len() == URL_CACHE_ENTRIES {
            self.entries.pop_back();
        }
        self.entries.push_front((uri.clone(), url.clone()));
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
                let uri: Uri = format!("http://h{i}.qq.com/p?r={round}").parse().unwrap();
                let want: Url = uri.to_string().parse().unwrap();
                assert_eq!(cache.get(&uri), Some(want));
                assert!(cache.entries.len() <= URL_CACHE_ENTRIES);
            }
        }
        let poll: Uri = "http://d1.web2.qq.com/channel/poll2".parse().unwrap();
        cache.get(&poll);
        assert_eq!(
            cache.entries.front().map(|(u, _)| u),
            Some(&poll),
            "most recent first"
        );
    }
}
