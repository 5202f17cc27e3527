/* fleet_www.c - the dashboard's files (src/fleet/www/), embedded in the
 * binary with the assembler's .incbin so no external file or CDN is ever
 * needed. Lookup is by exact URL in a fixed table: no path is ever built
 * from a request, so traversal cannot reach anything else.
 *
 * Owns: embedding src/fleet/www/ (.incbin) and asset lookup. Must not
 * touch: the assets' content (www/), HTTP. */
#include <stddef.h>
#include <string.h>

#include "fleet/fleet_http.h"

/* Each file is followed by a NUL so it is also a C string. The paths are
 * relative to the top directory, where make runs the compiler. */
#define WWW_EMBED(sym, file)                                                            \
	__asm__(".section .rodata\n"                                                    \
		".balign 16\n" #sym "_start:\n"                                         \
		".incbin \"" file "\"\n" #sym "_end:\n"                                 \
		".byte 0\n"                                                             \
		".previous\n");                                                         \
	extern const char sym##_start[], sym##_end[];

WWW_EMBED(fleet_www_index, "src/fleet/www/index.html")
WWW_EMBED(fleet_www_app, "src/fleet/www/app.js")
WWW_EMBED(fleet_www_style, "src/fleet/www/style.css")

const char *fleet_www_find(const char *url, size_t *ret_len, const char **ret_type)
{
	static const struct {
		const char *url;
		const char *type;
		const char *start, *end;
	} files[] = {
		{ "/", "text/html; charset=utf-8", fleet_www_index_start, fleet_www_index_end },
		{ "/index.html", "text/html; charset=utf-8", fleet_www_index_start, fleet_www_index_end },
		{ "/app.js", "text/javascript; charset=utf-8", fleet_www_app_start, fleet_www_app_end },
		{ "/style.css", "text/css; charset=utf-8", fleet_www_style_start, fleet_www_style_end },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(url, files[i].url) == 0) {
			*ret_len = (size_t)(files[i].end - files[i].start);
			*ret_type = files[i].type;
			return files[i].start;
		}
	}
	return NULL;
}
