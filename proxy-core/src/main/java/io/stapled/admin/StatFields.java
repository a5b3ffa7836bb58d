package io.stapled.admin;

import java.util.ArrayList;
import java.util.List;

/**
 * HAProxy 2.6's {@code show stat} fields: position, name, value type, and for each row type
 * (FRONTEND, BACKEND, server) the tag letters, or {@code -} where HAProxy leaves the field empty for
 * that row type. Copied from a real HAProxy 2.6.12's {@code show stat typed} (HTTP and TCP mode; see
 * the capture under the tests' resources). Positions 0 to 102 are HAProxy's static fields; the CSV
 * then has a {@code -} column, and 103 on are the fields of the SSL, HTTP/2 and HTTP/1 stats modules
 * that HAProxy 2.6 appends.
 */
final class StatFields {
    /** The last static field's position: the CSV's {@code -} column comes after it. */
    static final int LAST_STATIC = 102;

    /** Row types, with HAProxy's {@code type} column value, typed-output letter and JSON name. */
    enum RowType {
        FRONTEND(0, 'F', "Frontend"), BACKEND(1, 'B', "Backend"), SERVER(2, 'S', "Server");

        final int code;
        final char letter;
        final String json;

        RowType(int code, char letter, String json) {
            this.code = code;
            this.letter = letter;
            this.json = json;
        }

        /** This row type's bit in {@code show stat <iid> <type> <sid>}'s type mask. */
        int bit() {
            return 1 << code;
        }
    }

    /**
     * One field. A tag with a {@code *} is printed on checked servers only, a tag with a {@code +} in
     * HTTP mode only, as HAProxy does.
     */
    record Field(int pos, String name, String type, String[] tags) {
        boolean isText() {
            return "str".equals(type);
        }

        /** The tag letters for this row, or null when HAProxy leaves the field empty on it. */
        String tags(RowType row, boolean http, boolean checked) {
            String t = tags[row.ordinal()];
            if (t.equals("-")) {
                return null;
            }
            if (t.endsWith("+")) {
                if (!http) {
                    return null;
                }
                t = t.substring(0, t.length() - 1);
            }
            if (t.endsWith("*")) {
                if (!checked) {
                    return null;
                }
                t = t.substring(0, t.length() - 1);
            }
            return t;
        }
    }

    /** pos|name|type|frontend|backend|server. */
    static final List<Field> FIELDS = parse("""
            0|pxname|str|KNS|KNS|KNS
            1|svname|str|KNS|KNS|KNS
            2|qcur|u32|-|MGP|MGP
            3|qmax|u32|-|MMP|MMP
            4|scur|u32|MGP|MGP|MGP
            5|smax|u32|MMP|MMP|MMP
            6|slim|u32|CLP|CLP|-
            7|stot|u64|MCP|MCP|MCP
            8|bin|u64|MCP|MCP|MCP
            9|bout|u64|MCP|MCP|MCP
            10|dreq|u64|MCP|MCP|-
            11|dresp|u64|MCP|MCP|MCP
            12|ereq|u64|MCP|-|-
            13|econ|u64|-|MCP|MCP
            14|eresp|u64|-|MCP|MCP
            15|wretr|u64|-|MCP|MCP
            16|wredis|u64|-|MCP|MCP
            17|status|str|SGP|SGP|SGP
            18|weight|u32|-|MaP|MaP
            19|act|u32|-|MGP|SGP
            20|bck|u32|-|MGP|SGP
            21|chkfail|u64|-|-|MCP*
            22|chkdown|u64|-|MCP|MCP*
            23|lastchg|u32|-|MAP|MAP
            24|downtime|u32|-|MCP|MCP*
            25|qlimit|-|-|-|-
            26|pid|u32|KGP|KGP|KGP
            27|iid|u32|KGS|KGS|KGS
            28|sid|u32|KGS|KGS|KGS
            29|throttle|-|-|-|-
            30|lbtot|u64|-|MCP|MCP
            31|tracked|-|-|-|-
            32|type|u32|CGS|CGS|CGS
            33|rate|u32|MRP|MGP|MRP
            34|rate_lim|u32|CLP|-|-
            35|rate_max|u32|MMP|MGP|MMP
            36|check_status|str|-|-|MOP*
            37|check_code|-|-|-|-
            38|check_duration|u64|-|-|MDP*
            39|hrsp_1xx|u64|MCP+|MCP+|MCP+
            40|hrsp_2xx|u64|MCP+|MCP+|MCP+
            41|hrsp_3xx|u64|MCP+|MCP+|MCP+
            42|hrsp_4xx|u64|MCP+|MCP+|MCP+
            43|hrsp_5xx|u64|MCP+|MCP+|MCP+
            44|hrsp_other|u64|MCP+|MCP+|MCP+
            45|hanafail|-|-|-|-
            46|req_rate|u32|MRP|-|-
            47|req_rate_max|u32|MMP|-|-
            48|req_tot|u64|MCP|MCP+|MCP+
            49|cli_abrt|u64|-|MCP|MCP
            50|srv_abrt|u64|-|MCP|MCP
            51|comp_in|u64|MCP|MCP|-
            52|comp_out|u64|MCP|MCP|-
            53|comp_byp|u64|MCP|MCP|-
            54|comp_rsp|u64|MCP|MCP|-
            55|lastsess|s32|-|MAP|MAP
            56|last_chk|str|-|-|MOP*
            57|last_agt|-|-|-|-
            58|qtime|u32|-|MaP|MaP
            59|ctime|u32|-|MaP|MaP
            60|rtime|u32|-|MaP|MaP
            61|ttime|u32|-|MaP|MaP
            62|agent_status|-|-|-|-
            63|agent_code|-|-|-|-
            64|agent_duration|-|-|-|-
            65|check_desc|str|-|-|MOP*
            66|agent_desc|-|-|-|-
            67|check_rise|u32|-|-|CGS*
            68|check_fall|u32|-|-|CGS*
            69|check_health|u32|-|-|CGS*
            70|agent_rise|-|-|-|-
            71|agent_fall|-|-|-|-
            72|agent_health|-|-|-|-
            73|addr|str|-|-|CGS
            74|cookie|-|-|-|-
            75|mode|str|CGS|CGS|CGS
            76|algo|str|-|CGS|-
            77|conn_rate|u32|MRP|-|-
            78|conn_rate_max|u32|MMP|-|-
            79|conn_tot|u64|MCP|-|-
            80|intercepted|u64|MCP+|-|-
            81|dcon|u64|MCP|-|-
            82|dses|u64|MCP|-|-
            83|wrew|u64|MCP|MCP|MCP
            84|connect|u64|-|MCP|MCP
            85|reuse|u64|-|MCP|MCP
            86|cache_lookups|u64|MCP+|MCP+|-
            87|cache_hits|u64|MCP+|MCP+|-
            88|srv_icur|u32|-|-|MGP
            89|src_ilim|-|-|-|-
            90|qtime_max|u32|-|MMP|MMP
            91|ctime_max|u32|-|MMP|MMP
            92|rtime_max|u32|-|MMP|MMP
            93|ttime_max|u32|-|MMP|MMP
            94|eint|u64|MCP|MCP|MCP
            95|idle_conn_cur|u32|-|-|MGP
            96|safe_conn_cur|u32|-|-|MGP
            97|used_conn_cur|u32|-|-|MGP
            98|need_conn_est|u32|-|-|MGP
            99|uweight|u32|-|MaP|MaP
            100|agg_server_status|u32|-|MGP|-
            101|agg_server_check_status|u32|-|MGP|-
            102|agg_check_status|u32|-|MGP|-
            103|ssl_sess|u64|MCP|MCP|MCP
            104|ssl_reused_sess|u64|MCP|MCP|MCP
            105|ssl_failed_handshake|u64|MCP|MCP|MCP
            106|h2_headers_rcvd|u64|MCP|MCP|-
            107|h2_data_rcvd|u64|MCP|MCP|-
            108|h2_settings_rcvd|u64|MCP|MCP|-
            109|h2_rst_stream_rcvd|u64|MCP|MCP|-
            110|h2_goaway_rcvd|u64|MCP|MCP|-
            111|h2_detected_conn_protocol_errors|u64|MCP|MCP|-
            112|h2_detected_strm_protocol_errors|u64|MCP|MCP|-
            113|h2_rst_stream_resp|u64|MCP|MCP|-
            114|h2_goaway_resp|u64|MCP|MCP|-
            115|h2_open_connections|u64|MGP|MGP|-
            116|h2_backend_open_streams|u64|MGP|MGP|-
            117|h2_total_connections|u64|MCP|MCP|-
            118|h2_backend_total_streams|u64|MCP|MCP|-
            119|h1_open_connections|u64|MGP|MGP|-
            120|h1_open_streams|u64|MGP|MGP|-
            121|h1_total_connections|u64|MCP|MCP|-
            122|h1_total_streams|u64|MCP|MCP|-
            123|h1_bytes_in|u64|MCP|MCP|-
            124|h1_bytes_out|u64|MCP|MCP|-
            125|h1_spliced_bytes_in|u64|MCP|MCP|-
            126|h1_spliced_bytes_out|u64|MCP|MCP|-
            """);

    private StatFields() { }

    private static List<Field> parse(String table) {
        List<Field> fields = new ArrayList<>();
        for (String line : table.strip().split("\n")) {
            String[] c = line.strip().split("\\|");
            if (Integer.parseInt(c[0]) != fields.size()) {
                throw new IllegalStateException("show stat field table out of order at " + line);
            }
            fields.add(new Field(Integer.parseInt(c[0]), c[1], c[2], new String[] {c[3], c[4], c[5]}));
        }
        return List.copyOf(fields);
    }

    /** The position of field {@code name}. */
    static int position(String name) {
        for (Field f : FIELDS) {
            if (f.name().equals(name)) {
                return f.pos();
            }
        }
        throw new IllegalArgumentException("no show stat field " + name);
    }

    /** The CSV header line, {@code -} column and trailing comma included. */
    static String header() {
        StringBuilder sb = new StringBuilder("# ");
        for (Field f : FIELDS) {
            sb.append(f.name()).append(',');
            if (f.pos() == LAST_STATIC) {
                sb.append("-,");
            }
        }
        return sb.append('\n').toString();
    }
}
