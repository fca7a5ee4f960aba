//! Facts about a host, from the text of its files as the CLI reads them: RAM (`/proc/meminfo`),
//! the cgroup's memory limit, the amavisd and clamd processes and their memory, the OS family.

pub(crate) mod cgroup;
pub(crate) mod meminfo;
pub(crate) mod os_release;
pub(crate) mod processes;
