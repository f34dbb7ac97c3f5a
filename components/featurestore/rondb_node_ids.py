"""The node ids the rondb chart gives RonDB's API slots, and how many slots fit in them.

config.ini numbers its API slots in fixed ranges (rondb-helm tag v0.8.0, commit
7388b1579a195bb7ff6385f28ca3a860b83455eb, files/configs/config.ini):
- MySQL servers from node id 67 (:277), `MySQLdSlotsPerNode` ids each (:282-295), then the
  binlog servers, `globalReplication.primary.maxNumBinlogServers` of them (:301-318), then one
  replica applier (:324-334), all rendered whether replication is on or not;
- RDRS from node id 195 (:392), `RdrsSlotsPerNode` + `RdrsMetadataSlotsPerNode` ids each
  (:349-353, no external metadata cluster here);
- `EmptyApiSlots` after the RDRS up to id 255; those that do not fit go right below 195
  (:357-380), and the chart refuses to render when they reach the replica applier (:367-368);
  without that overflow nothing stops the MySQL ids from running into the RDRS ids.

RonDB keeps NDB's node id space: an API node id is 1 to 255 (MySQL NDB Cluster reference,
"Defining SQL and Other API Nodes in an NDB Cluster", `NodeId` range). The chart does not check
the RDRS ids against it: a slot past 255 is only refused by the management server, after the
rolling restart that raising the slots causes.
"""

from __future__ import annotations

from collections.abc import Iterator

from components.shared.problems import Problem, SpecProblem

LAST_NODE_ID = 255
MYSQLD_FIRST_NODE_ID = 67
RDRS_FIRST_NODE_ID = 195

# Chart defaults this program leaves alone (values.yaml at the same commit).
MYSQLD_IDS_PER_SERVER = 4
"""`rondbConfig.MySQLdSlotsPerNode` (values.yaml:323)."""
RDRS_IDS_PER_SERVER = 1 + 1
"""`rondbConfig.RdrsSlotsPerNode` + `rondbConfig.RdrsMetadataSlotsPerNode` (values.yaml:326-327)."""
EMPTY_API_SLOTS = 8
"""`rondbConfig.EmptyApiSlots` (values.yaml:314)."""
BINLOG_SERVER_IDS = 2
"""`globalReplication.primary.maxNumBinlogServers` (values.yaml:66)."""

MAX_RDRS_SLOTS = (LAST_NODE_ID - RDRS_FIRST_NODE_ID + 1) // RDRS_IDS_PER_SERVER


def node_id_problems(rdrs_slots: int, mysqld_slots: int) -> Iterator[SpecProblem]:
    """What RonDB or the chart would refuse in the node ids of these slot counts.

    Problems are keyed `("rdrs",)` or `("mysqld",)`, the slot count at fault.
    """
    last_rdrs = RDRS_FIRST_NODE_ID + rdrs_slots * RDRS_IDS_PER_SERVER - 1
    if last_rdrs > LAST_NODE_ID:
        yield Problem(
            ("rdrs",),
            f"is {rdrs_slots}: RonDB's config.ini would number the RDRS slots up to node id "
            f"{last_rdrs}, past RonDB's last node id {LAST_NODE_ID}",
            f"use at most {MAX_RDRS_SLOTS}",
        )
        return
    overflow = max(0, last_rdrs + EMPTY_API_SLOTS - LAST_NODE_ID)
    lowest_empty_slot = RDRS_FIRST_NODE_ID - overflow
    replica_applier = (
        MYSQLD_FIRST_NODE_ID + mysqld_slots * MYSQLD_IDS_PER_SERVER + BINLOG_SERVER_IDS
    )
    if replica_applier >= lowest_empty_slot:
        most = (lowest_empty_slot - 1 - BINLOG_SERVER_IDS - MYSQLD_FIRST_NODE_ID) // (
            MYSQLD_IDS_PER_SERVER
        )
        yield Problem(
            ("mysqld",),
            f"is {mysqld_slots}: the MySQL servers' node ids ({MYSQLD_FIRST_NODE_ID} to "
            f"{replica_applier}, with the binlog servers and the replica applier) would run "
            f"into those of the RDRS and empty API slots, from {lowest_empty_slot} with "
            f"{rdrs_slots} RDRS slots",
            f"use at most {most}, or fewer RDRS slots",
        )
