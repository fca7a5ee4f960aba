//! This machine and its files: RAM and CPUs, the OS layout and its configuration files, safe
//! reads and atomic writes, backups, the /proc scan, the clock.

pub(crate) mod attributes;
pub(crate) mod backups;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod deadline;
pub(crate) mod layout;
pub(crate) mod lock;
pub(crate) mod logs;
pub(crate) mod machine;
pub(crate) mod processes;
pub(crate) mod read;
pub(crate) mod record;
pub(crate) mod setting;
pub(crate) mod snmp;
pub(crate) mod watch;
pub(crate) mod write;
