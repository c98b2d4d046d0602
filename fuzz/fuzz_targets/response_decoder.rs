//! Fuzzes the HTTP/1.1 response decoder with hostile server bytes.
//!
//! Input layout: byte 0 picks the request method, byte 1 the leniency switches and whether
//! limits are small (to reach every limit), bytes 2..4 where to split the rest, which is one
//! connection's bytes. Asserts that nothing panics and that whole and split decoding agree
//! (at EOF exactly; without EOF on completed messages, and on any error the split run found).
#![no_main]

use http::Method;
use libfuzzer_sys::fuzz_target;
use webqq_proto::http1::codec::{DecoderConfig, decode_all};

const METHODS: [Method; 4] = [Method::GET, Method::HEAD, Method::POST, Method::CONNECT];

fuzz_target!(|data: &[u8]| {
    let [method, switches, cut_a, cut_b, input @ ..] = data else {
        return;
    };
    let mut config = DecoderConfig::default();
    let leniency = &mut config.leniency;
    leniency.obs_fold = switches & 1 != 0;
    leniency.spaces_before_colon = switches & 2 != 0;
    leniency.bare_lf = switches & 4 != 0;
    leniency.multiple_spaces_in_status_line = switches & 8 != 0;
    leniency.empty_lines_before_status = switches & 16 != 0;
    if switches & 32 != 0 {
        let limits = &mut config.limits;
        limits.max_head_bytes = 200;
        limits.max_headers = 4;
        limits.max_body_bytes = 300;
        limits.max_chunk_line_bytes = 16;
        limits.max_trailer_bytes = 40;
    }
    // Later responses on the connection answer GET.
    let methods = [METHODS[usize::from(method % 4)].clone(), Method::GET];

    let len = input.len();
    let mut cuts = [
        usize::from(*cut_a) * len / 255,
        usize::from(*cut_b) * len / 255,
    ];
    cuts.sort_unstable();
    let pieces = [
        &input[..cuts[0]],
        &input[cuts[0]..cuts[1]],
        &input[cuts[1]..],
    ];

    let whole = decode_all(config, &methods, [input], true);
    let split = decode_all(config, &methods, pieces, true);
    assert_eq!(whole, split, "whole and split decoding differ at EOF");
    let bytewise = decode_all(config, &methods, input.chunks(1), true);
    assert_eq!(
        whole, bytewise,
        "whole and byte-by-byte decoding differ at EOF"
    );

    let open = decode_all(config, &methods, [input], false);
    let split_open = decode_all(config, &methods, pieces, false);
    assert_eq!(
        open.messages, split_open.messages,
        "completed messages differ without EOF"
    );
    if split_open.error.is_some() {
        assert_eq!(open.error, split_open.error, "errors differ without EOF");
    }
});
