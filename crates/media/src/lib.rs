//! fpshot-media
