//! amavisd's listening sockets and their accept queues, from the text of `/proc` files.
//!
//! A connection the kernel has completed but no child has taken with `accept()` yet waits in the
//! listening socket's accept queue. Its length is the `rx_queue` of the socket's LISTEN row
//! (state `0A`) in `/proc/net/tcp` and `/proc/net/tcp6` (for a listening socket the kernel prints
//! `sk_ack_backlog` there, `net/ipv4/tcp_ipv4.c`, `get_tcp4_sock`), the same figure as the
//! `Recv-Q` of the LISTEN line in `ss -ltn`. Which rows are amavisd's is told by their inode: the
//! master's open files (`/proc/PID/fd/N`) link to `socket:[INODE]`, and the row's tenth field is
//! that inode, so no configuration is read. A unix socket (`$unix_socketname`) shows in
//! `/proc/net/unix` without a queue (only `ss -lx`, through netlink, has it).

use serde::Serialize;

/// One LISTEN row of `/proc/net/tcp` or `/proc/net/tcp6`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenRow {
    pub inode: u64,
    /// `127.0.0.1:10024`, `[::1]:10024`.
    pub address: String,
    pub port: u16,
    /// Connections waiting for `accept()`.
    pub accept_queue: u32,
}

/// The socket inode an open file links to (`socket:[12345]`), else `None`.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// A LISTEN row of `/proc/net/tcp` or `/proc/net/tcp6`; `None` for the header, a socket in any
/// other state, or a line that is not a row.
///
/// The address is printed as the kernel holds it, each 32-bit word in the host's byte order:
/// it is decoded for a little-endian host (x86, arm64), which only the displayed address
/// depends on.
pub fn parse_tcp_listen_row(line: &str) -> Option<ListenRow> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 10 || !fields[0].ends_with(':') || fields[3] != "0A" {
        return None;
    }
    let (address, port) = fields[1].split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let (_, rx_queue) = fields[4].split_once(':')?;
    let accept_queue = u32::from_str_radix(rx_queue, 16).ok()?;
    let inode = fields[9].parse().ok()?;
    let address = match address.len() {
        8 => format!("{}:{port}", std::net::Ipv4Addr::from(u32::from_str_radix(address, 16).ok()?.to_le_bytes())),
        32 => {
            let mut bytes = [0u8; 16];
            for (word, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                let value = u32::from_str_radix(&address[word * 8..word * 8 + 8], 16).ok()?;
                chunk.copy_from_slice(&value.to_le_bytes());
            }
            format!("[{}]:{port}", std::net::Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(ListenRow { inode, address, port, accept_queue })
}

/// A listening unix socket of `/proc/net/unix`: its inode and path (`None` for any other row).
pub fn parse_unix_listen_row(line: &str) -> Option<(u64, String)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    // Num RefCount Protocol Flags Type St Inode Path; __SO_ACCEPTCON (0x10000) marks a listener.
    let flags = u32::from_str_radix(fields.get(3)?, 16).ok()?;
    if !fields.first()?.ends_with(':') || flags & 0x10000 == 0 {
        return None;
    }
    let inode = fields.get(6)?.parse().ok()?;
    Some((inode, fields.get(7).map_or_else(|| "(unnamed)".to_owned(), |path| (*path).to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2718 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 48213 1 0000000000000000 100 0 0 10 0
   1: 0100007F:2719 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 48214 1 0000000000000000 100 0 0 10 0
   2: 0100007F:2718 0100007F:C350 01 00000000:00000000 00:00000000 00000000   110        0 50001 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    fn tcp_rows() {
        let rows: Vec<ListenRow> = TCP.lines().filter_map(parse_tcp_listen_row).collect();
        assert_eq!(
            rows,
            [
                ListenRow { inode: 48213, address: "127.0.0.1:10008".into(), port: 10008, accept_queue: 2 },
                ListenRow { inode: 48214, address: "127.0.0.1:10009".into(), port: 10009, accept_queue: 0 },
            ]
        );
        let six = "   0: 00000000000000000000000001000000:2718 00000000000000000000000000000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0";
        assert_eq!(
            parse_tcp_listen_row(six),
            Some(ListenRow { inode: 777, address: "[::1]:10008".into(), port: 10008, accept_queue: 3 })
        );
        for garbage in
            ["", "   0: zz:2718 00000000:0000 0A 0:0 0 0 0 0 1", "0A 0A 0A 0A 0A 0A 0A 0A 0A 0A", "   0: 0100007F:2718"]
        {
            assert_eq!(parse_tcp_listen_row(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn unix_rows_and_links() {
        let unix = "Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 9911 /var/lib/amavis/amavisd.sock
0000000000000000: 00000003 00000000 00000000 0001 03 9912 /run/other.sock
0000000000000000: 00000002 00000000 00010000 0001 01 9913";
        let rows: Vec<(u64, String)> = unix.lines().filter_map(parse_unix_listen_row).collect();
        assert_eq!(rows, [(9911, "/var/lib/amavis/amavisd.sock".into()), (9913, "(unnamed)".into())]);
        assert_eq!(socket_inode("socket:[48213]"), Some(48213));
        for other in ["pipe:[48213]", "/var/log/amavis.log", "socket:[x]", "socket:[1"] {
            assert_eq!(socket_inode(other), None, "{other}");
        }
    }
}
