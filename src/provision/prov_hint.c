/* prov_hint.c - the one "how to register this Pi" hint, for the server
 * log (an unknown Pi asked), `pinetboot list` and the dashboard's
 * discovered list (GET /api/discovered), and the default image the hint
 * and POST /api/register use.
 *
 * Owns: the hint's wording and the default-image rule. Must not touch:
 * client.conf (src/pi/pi_registry.c), the images themselves (image.c). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "provision/provision.h"

/* The default image for a registration hint: DATA/boot/.pinetboot-image
 * (written by `image import` / `image default`), else the only image. */
void prov_default_image(const char *data_dir, char *out, size_t cap)
{
	char path[4200];
	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/boot/.pinetboot-image", data_dir);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fgets(out, (int)cap, f))
			out[strcspn(out, "\r\n")] = '\0';
		fclose(f);
		for (char *p = out; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '-' || *p == '_' || *p == '.'))
				out[0] = '\0';
		if (out[0])
			return;
	}
	snprintf(path, sizeof(path), "%s/images", data_dir);
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *de;
	int n = 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n++ == 0)
			snprintf(out, cap, "%.63s", de->d_name);
	}
	closedir(dir);
	if (n != 1)
		out[0] = '\0';
}

void prov_register_hint(const char *data_dir, const char *id, char *out, size_t cap)
{
	char img[64];
	prov_default_image(data_dir, img, sizeof(img));
	if (img[0])
		snprintf(out, cap, "sudo pinetboot add %s --image %s --data %s", id, img, data_dir);
	else
		snprintf(out, cap, "sudo pinetboot image import NAME --from SOURCE --data %s, then "
			 "sudo pinetboot add %s --image NAME --data %s",
			 data_dir, id, data_dir);
}
