//! Editing the configuration: the byte-exact patches, the edits that make both sides run at N
//! (`apply`), and the names and checks of the backups they leave.

pub(crate) mod apply;
pub(crate) mod backup;
pub(crate) mod patch;
