import { it } from "vitest";
import { registerAndLogin } from "../support/identity.js";
import { startTestServer } from "../support/server.js";
it("x", async () => {
  const server = await startTestServer();
  const a = await registerAndLogin(server);
  const q = new URLSearchParams({ connect: "v1", encoding: "json", message: "{}", access_token: a.token });
  const r = await fetch(`${server.url}/memoric.v1.AuthService/GetCurrentUser?${q}`);
  console.log(r.status, await r.text());
  const r2 = await fetch(`${server.url}/memoric.v1.AuthService/GetCurrentUser?${q}`, { headers: { authorization: `Bearer ${a.token}` } });
  console.log(r2.status, await r2.text());
  await server.close();
});
