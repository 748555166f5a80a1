/* SPDX-License-Identifier: MIT */
/*
 * auth: the endpoints nginx and browsers use to establish identity.
 *
 * GET /auth/verify is nginx's auth_request target: it checks the token (cookie or
 * Authorization: Bearer) and names the login in X-Flowbatch-User; nginx copies that into
 * the REMOTE_USER FastCGI param of the real request.  Client headers never reach
 * REMOTE_USER.  /auth/login turns a token link into a cookie; /auth/logout clears it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <json-c/json.h>

#include "handlers.h"
#include "msg.h"
#include "token.h"

int
handle_auth_verify(struct request *r, struct fb_err *err)
{
	char login[TOKEN_MAX_LOGIN + 1], *hdr;
	const char *token = request_token(r);
	const char *headers[2];

	if (token == NULL) {
		fb_err_msg(err, FB_EAUTH, "auth.no_token", NULL);
		return -1;
	}
	if (token_verify(r->cfg->auth_secret, token, time(NULL), login, err) < 0)
		return -1;
	hdr = arena_printf(r->arena, "X-Flowbatch-User: %s", login);
	headers[0] = hdr;
	headers[1] = "Cache-Control: no-store";
	respond_raw(r, 200, headers, 2, "", 0);
	return 0;
}

static int
is_https(struct request *r)
{
	const char *https = request_env(r, "HTTPS");

	return https != NULL && strcasecmp(https, "on") == 0;
}

int
handle_auth_login(struct request *r, struct fb_err *err)
{
	char login[TOKEN_MAX_LOGIN + 1];
	const char *token = request_param(r, "token");
	const char *headers[3];

	if (token == NULL) {
		fb_err_msg(err, FB_EINVAL, "auth.token_required", NULL);
		return -1;
	}
	if (token_verify(r->cfg->auth_secret, token, time(NULL), login, err) < 0)
		return -1;
	headers[0] = arena_printf(r->arena, "Set-Cookie: %s=%s; Path=/; Max-Age=%d; HttpOnly; "
	                                    "SameSite=Lax%s",
	                          r->cfg->auth_cookie, token, r->cfg->auth_token_ttl,
	                          is_https(r) ? "; Secure" : "");
	headers[1] = "Location: /";
	headers[2] = "Cache-Control: no-store";
	respond_raw(r, 302, headers, 3, "", 0);
	return 0;
}

int
handle_auth_logout(struct request *r, struct fb_err *err)
{
	const char *headers[3];

	(void)err;
	headers[0] = arena_printf(r->arena, "Set-Cookie: %s=; Path=/; Max-Age=0; HttpOnly; "
	                                    "SameSite=Lax", r->cfg->auth_cookie);
	headers[1] = "Location: /";
	headers[2] = "Cache-Control: no-store";
	respond_raw(r, 302, headers, 3, "", 0);
	return 0;
}
