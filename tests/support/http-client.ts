// The tests' fetch opens a new connection for every request. With keep-alive, a request sent
// right after runCli() (spawnSync: the test's event loop stands still for seconds) went out on a
// pooled connection the server had closed as idle meanwhile, before this process had read the
// close: "fetch failed" (other side closed). Node's fetch is this undici version; the global
// dispatcher it reads is shared by symbol.
import { Agent, setGlobalDispatcher } from "undici";

setGlobalDispatcher(new Agent({ pipelining: 0 }));
