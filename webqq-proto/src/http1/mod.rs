//! HTTP/1.1 client machinery: the codec (bytes ⇄ messages).
pub mod codec;
