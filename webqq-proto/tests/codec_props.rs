//! Property tests: generated responses, written by the test encoder, decode to the same
//! message under any split; pipelined sequences of N responses decode to N messages; and
//! damaged bytes decode the same (to the same error) however they are split.
mod support;

use http::Method;
use proptest::prelude::*;
use proptest::sample::Index;
use support::{
    BodySpec, any_framing, assert_matches_spec, encode_response, response_with, reusable_framing,
};
use webqq_proto::http1::codec::{DecoderConfig, decode_all};

/// `input` cut at the given positions.
fn pieces<'a>(input: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
    at.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in at {
        out.push(&input[start..cut]);
        start = cut;
    }
    out.push(&input[start..]);
    out
}

fn cuts() -> impl Strategy<Value = Vec<Index>> {
    prop::collection::vec(any::<Index>(), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn one_response_round_trips_under_any_split(spec in response_with(any_framing()), cuts in cuts()) {
        let wire = encode_response(&spec);
        let decoded = decode_all(DecoderConfig::default(), &[Method::GET], pieces(&wire, &cuts), true);
        prop_assert_eq!(&decoded.error, &None);
        prop_assert_eq!(decoded.messages.len(), 1);
        assert_matches_spec(&decoded.messages[0], &spec);
        prop_assert!(decoded.rest.is_empty());
        prop_assert_eq!(decoded.messages[0].head.framing.keep_alive, spec.framing != BodySpec::UntilEof);
    }

    #[test]
    fn pipelined_responses_decode_to_as_many_messages(
        mut specs in prop::collection::vec(response_with(reusable_framing()), 1..6),
        last in prop::option::of(response_with(Just(BodySpec::UntilEof))),
        cuts in cuts(),
    ) {
        specs.extend(last);
        let wire: Vec<u8> = specs.iter().flat_map(encode_response).collect();
        let decoded = decode_all(DecoderConfig::default(), &[Method::GET], pieces(&wire, &cuts), true);
        prop_assert_eq!(&decoded.error, &None);
        prop_assert_eq!(decoded.messages.len(), specs.len());
        for (got, spec) in decoded.messages.iter().zip(&specs) {
            assert_matches_spec(got, spec);
        }
    }

    #[test]
    fn damaged_responses_decode_the_same_under_any_split(
        spec in response_with(any_framing()),
        damage in prop::collection::vec((any::<Index>(), any::<u8>()), 1..4),
        cuts in cuts(),
    ) {
        let mut wire = encode_response(&spec);
        wire.extend(encode_response(&spec));
        for (at, byte) in damage {
            let i = at.index(wire.len());
            wire[i] = byte;
        }
        let config = DecoderConfig::default();
        let whole = decode_all(config, &[Method::GET], [&wire[..]], true);
        let split = decode_all(config, &[Method::GET], pieces(&wire, &cuts), true);
        prop_assert_eq!(split, whole);
        // Without EOF, completed messages agree; an error may only show later when split.
        let whole = decode_all(config, &[Method::GET], [&wire[..]], false);
        let split = decode_all(config, &[Method::GET], pieces(&wire, &cuts), false);
        prop_assert_eq!(&split.messages, &whole.messages);
        if split.error.is_some() {
            prop_assert_eq!(split.error, whole.error);
        }
    }
}
