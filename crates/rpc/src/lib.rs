//! fpshot-rpc
