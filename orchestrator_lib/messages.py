"""Every sentence a clinic user reads, in French first and English second.

The language comes from ``$ORCHESTRATOR_LANG`` (``fr`` by default, ``en``
available) so the CLI, the notebooks and the dashboard speak the same one.
"""

from __future__ import annotations

import os

MESSAGES: dict[str, tuple[str, str]] = {
    # FHIR server (sources/fhir_client.py, sources/fhir.py)
    "load_one_source": (
        "Donnez soit un dossier d'exportation, soit --fhir URL, pas les deux.",
        "Give either an export folder or --fhir URL, not both.",
    ),
    "load_no_source": (
        "Aucune source : donnez un dossier d'exportation, --fhir URL, ou définissez ORCHESTRATOR_FHIR_URL "
        "ou ORCHESTRATOR_EXPORT_DIR.",
        "No source: give an export folder, --fhir URL, or set ORCHESTRATOR_FHIR_URL or ORCHESTRATOR_EXPORT_DIR.",
    ),
    "warning": ("Attention : {text}", "Warning: {text}"),
    "fhir_read_full": (
        "Lu sur {server} (lecture complète) : {counts}.",
        "Read from {server} (full read): {counts}.",
    ),
    "fhir_read_incremental": (
        "Lu sur {server} (changements depuis {since}) : {counts}.",
        "Read from {server} (changes since {since}): {counts}.",
    ),
    "fhir_redirect_elsewhere": (
        "{url} : le serveur FHIR renvoie vers {target}, hors de {base} : redirection refusée (le jeton n'y est pas "
        "envoyé, rien n'est lu). Vérifiez l'adresse du serveur. Rien n'a été changé.",
        "{url}: the FHIR server redirects to {target}, outside {base}: redirect refused (the token is not sent "
        "there, nothing is read). Check the server address. Nothing was changed.",
    ),
    "fhir_redirect_loop": (
        "{url} : plus de {limit} redirections : le serveur FHIR tourne en rond. Rien n'a été changé.",
        "{url}: more than {limit} redirects: the FHIR server goes round in circles. Nothing was changed.",
    ),
    "fhir_too_large": (
        "{url} : réponse de plus de {limit} Mio, refusée (une page FHIR en fait quelques-uns). Rien n'a été changé.",
        "{url}: answer larger than {limit} MiB, refused (a FHIR page is a few). Nothing was changed.",
    ),
    "fhir_too_many_pages": (
        "{url} : la recherche {resource} dépasse {pages} pages : arrêtée. Rien n'a été changé.",
        "{url}: the {resource} search goes past {pages} pages: stopped. Nothing was changed.",
    ),
    "fhir_url_invalid": (
        "Adresse de serveur FHIR invalide : {url} (attendu : http://… ou https://…, p. ex. https://dme.example/fhir/R4).",
        "Invalid FHIR server address: {url} (expected http://… or https://…, e.g. https://emr.example/fhir/R4).",
    ),
    "fhir_token_missing": (
        "{url} : le serveur FHIR demande une authentification (HTTP 401). Donnez le jeton d'accès dans la variable "
        "d'environnement {env} (jamais dans un fichier ni un paramètre). Rien n'a été changé.",
        "{url}: the FHIR server requires authentication (HTTP 401). Put the access token in the environment variable "
        "{env} (never in a file or a parameter). Nothing was changed.",
    ),
    "fhir_unauthorized": (
        "{url} : le serveur FHIR refuse le jeton de {env} (HTTP 401) : il est invalide ou expiré ; demandez-en un "
        "nouveau à l'administrateur du DMÉ. Rien n'a été changé.",
        "{url}: the FHIR server rejects the token in {env} (HTTP 401): it is invalid or expired; ask the EMR "
        "administrator for a new one. Nothing was changed.",
    ),
    "fhir_forbidden": (
        "{url} : le jeton de {env} est valide mais n'a pas le droit de lire ces ressources (HTTP 403) ; demandez "
        "l'accès en lecture à l'administrateur du DMÉ. Rien n'a été changé.",
        "{url}: the token in {env} is valid but may not read these resources (HTTP 403); ask the EMR administrator "
        "for read access. Nothing was changed.",
    ),
    "fhir_timeout": (
        "{url} : pas de réponse du serveur FHIR en {seconds} s, après plusieurs essais. Rien n'a été changé ; "
        "réessayez plus tard ou augmentez ORCHESTRATOR_FHIR_TIMEOUT.",
        "{url}: no answer from the FHIR server within {seconds} s, after several attempts. Nothing was changed; "
        "try again later or raise ORCHESTRATOR_FHIR_TIMEOUT.",
    ),
    "fhir_connection": (
        "{url} : connexion au serveur FHIR impossible ({detail}). Vérifiez l'adresse et le réseau. Rien n'a été changé.",
        "{url}: cannot reach the FHIR server ({detail}). Check the address and the network. Nothing was changed.",
    ),
    "fhir_unavailable": (
        "{url} : le serveur FHIR est indisponible (HTTP {status}, {attempts} essais) : {detail}. Rien n'a été "
        "changé ; réessayez plus tard.",
        "{url}: the FHIR server is unavailable (HTTP {status}, {attempts} attempts): {detail}. Nothing was "
        "changed; try again later.",
    ),
    "fhir_retry_too_long": (
        "{url} : le serveur FHIR demande d'attendre {seconds} s avant de réessayer (HTTP {status}). Rien n'a été "
        "changé ; relancez le chargement plus tard.",
        "{url}: the FHIR server asks to wait {seconds} s before trying again (HTTP {status}). Nothing was "
        "changed; run the load again later.",
    ),
    "fhir_not_fhir": (
        "{url} : la réponse n'est pas du FHIR (HTTP {status}, {media}) : « {detail} ». L'adresse mène-t-elle "
        "bien à la base FHIR R4 du DMÉ (…/fhir/R4) ? Rien n'a été changé.",
        "{url}: the answer is not FHIR (HTTP {status}, {media}): '{detail}'. Does the address lead to the "
        "EMR's FHIR R4 base (…/fhir/R4)? Nothing was changed.",
    ),
    "fhir_bad_json": (
        "{url} : JSON illisible ({size} octets ; réponse tronquée ?) : {detail}, après plusieurs essais. "
        "Rien n'a été changé.",
        "{url}: unreadable JSON ({size} bytes; a truncated answer?): {detail}, after several attempts. "
        "Nothing was changed.",
    ),
    "fhir_outcome": (
        "{url} : le serveur FHIR signale une erreur (HTTP {status}) : {detail}. Rien n'a été changé.",
        "{url}: the FHIR server reports an error (HTTP {status}): {detail}. Nothing was changed.",
    ),
    "fhir_http_error": (
        "{url} : erreur HTTP {status} du serveur FHIR : {detail}. Rien n'a été changé.",
        "{url}: HTTP error {status} from the FHIR server: {detail}. Nothing was changed.",
    ),
    "fhir_not_bundle": (
        "{url} : une recherche FHIR doit renvoyer un Bundle, le serveur a renvoyé « {found} ». Rien n'a été changé.",
        "{url}: a FHIR search must return a Bundle, the server returned '{found}'. Nothing was changed.",
    ),
    "fhir_paging_loop": (
        "{url} : le lien « next » des pages de {resource} ramène à une page déjà lue ; le serveur pagine en boucle. "
        "Chargement arrêté, rien n'a été changé ; signalez-le à l'éditeur du DMÉ.",
        "{url}: the 'next' link of the {resource} pages leads back to a page already read; the server pages in a "
        "loop. Load stopped, nothing was changed; report it to the EMR vendor.",
    ),
    "fhir_next_elsewhere": (
        "{url} : le lien « next » mène hors du serveur {base} ; il n'est pas suivi (le jeton n'y est pas envoyé). "
        "Rien n'a été changé.",
        "{url}: the 'next' link leads outside server {base}; it is not followed (the token is not sent there). "
        "Nothing was changed.",
    ),
    "fhir_value_missing": (
        "{resource} ({server}), élément {element} : valeur obligatoire manquante. Corrigez-la dans le DMÉ ; rien n'a été changé.",
        "{resource} ({server}), element {element}: required value is missing. Fix it in the EMR; nothing was changed.",
    ),
    "fhir_value_datetime": (
        "{resource} ({server}), élément {element} : « {value} » n'est pas une date FHIR valide. Rien n'a été changé.",
        "{resource} ({server}), element {element}: '{value}' is not a valid FHIR date. Nothing was changed.",
    ),
    "fhir_value_nonexistent": (
        "{resource} ({server}), élément {element} : « {value} » n'existe pas à Montréal (au passage à l'heure "
        "avancée, l'horloge saute de 2 h à 3 h). Rien n'a été changé.",
        "{resource} ({server}), element {element}: '{value}' does not exist in Montreal (clocks jump from 2:00 to "
        "3:00 when daylight saving time starts). Nothing was changed.",
    ),
    "fhir_value_code": (
        "{resource} ({server}), élément {element} : code inconnu « {value} ». Codes permis : {allowed}.",
        "{resource} ({server}), element {element}: unknown code '{value}'. Allowed codes: {allowed}.",
    ),
    "fhir_value_boolean": (
        "{resource} ({server}), élément {element} : « {value} » n'est ni vrai ni faux.",
        "{resource} ({server}), element {element}: '{value}' is neither true nor false.",
    ),
    "fhir_end_before_start": (
        "{resource} ({server}), élément {element} : la fin ({end}) précède le début ({start}). Rien n'a été changé.",
        "{resource} ({server}), element {element}: the end ({end}) is before the start ({start}). Nothing was changed.",
    ),
    "fhir_unknown_code": (
        "{element} : code « {code} » inconnu de la correspondance, gardé sans valeur ou comme valeur par défaut "
        "({count} ressource(s)) ; voir docs/fhir.md.",
        "{element}: code '{code}' unknown to the mapping, kept empty or as the default value ({count} "
        "resource(s)); see docs/fhir.md.",
    ),
    "fhir_skipped_undated": (
        "{count} rendez-vous proposé(s), en liste d'attente ou annulé(s) sans date ignoré(s).",
        "{count} proposed, waitlisted or cancelled appointment(s) without a date skipped.",
    ),
    "fhir_skipped_busy_unavailable": (
        "{count} plage(s) bloquée(s) (Slot busy-unavailable) ignorée(s) : ce ne sont pas des disponibilités.",
        "{count} blocked slot(s) (Slot busy-unavailable) skipped: they are not availabilities.",
    ),
    "fhir_skipped_entered_in_error": (
        "{count} plage(s) saisie(s) par erreur (Slot entered-in-error) ignorée(s).",
        "{count} slot(s) entered in error (Slot entered-in-error) skipped.",
    ),
    # Export folder and files
    "folder_missing": (
        "Dossier d'exportation introuvable : {folder}",
        "Export folder not found: {folder}",
    ),
    "table_missing": (
        "Table « {table} » absente du dossier {folder} : ajoutez {table}.csv, {table}.xlsx ou {table}.parquet.",
        "Table '{table}' is missing from {folder}: add {table}.csv, {table}.xlsx or {table}.parquet.",
    ),
    "table_ambiguous": (
        "Plusieurs fichiers pour la table « {table} » dans {folder} : {files}. Gardez-en un seul.",
        "Several files for table '{table}' in {folder}: {files}. Keep only one.",
    ),
    "file_empty": (
        "{file} est vide : il faut au moins une ligne d'en-tête ({columns}).",
        "{file} is empty: a header row is required ({columns}).",
    ),
    "column_missing": (
        "{file}, ligne 1 : colonne obligatoire « {column} » absente. Colonnes reconnues (séparateur « {delimiter} ») : "
        "{known} ; autres colonnes : {others}. La première ligne doit être l'en-tête.",
        "{file}, line 1: required column '{column}' is missing. Columns recognised (delimiter '{delimiter}'): "
        "{known}; other columns: {others}. The first line must be the header.",
    ),
    "header_not_first": (
        "{file}, ligne 1 : ligne vide ; l'en-tête ({columns}) doit être sur la première ligne.",
        "{file}, line 1: blank line; the header ({columns}) must be on the first line.",
    ),
    "csv_unterminated_quote": (
        "{file}, ligne {line} : guillemet ouvert jamais refermé ; vérifiez les guillemets de cette ligne.",
        "{file}, line {line}: a quote is opened and never closed; check the quotes of this line.",
    ),
    "column_duplicate": (
        "{file}, ligne 1 : la colonne « {column} » apparaît deux fois dans l'en-tête.",
        "{file}, line 1: column '{column}' appears twice in the header.",
    ),
    "field_count": (
        "{file}, ligne {line} : {found} champ(s) au lieu de {expected}. Le séparateur déduit de l'en-tête est « {delimiter} » : "
        "vérifiez que toutes les lignes l'utilisent et que les valeurs contenant ce caractère sont entre guillemets.",
        "{file}, line {line}: {found} field(s) instead of {expected}. The delimiter taken from the header is '{delimiter}': "
        "check that every line uses it and that values containing it are quoted.",
    ),
    "csv_malformed": (
        "{file}, ligne {line} : ligne CSV illisible ({detail}).",
        "{file}, line {line}: unreadable CSV line ({detail}).",
    ),
    "encoding_mixed": (
        "{file}, ligne {line}, colonne {column} : octet {byte} invalide en UTF-8, alors que la ligne {utf8_line} est en UTF-8. "
        "Le fichier mélange deux encodages : réenregistrez-le entièrement en UTF-8.",
        "{file}, line {line}, column {column}: byte {byte} is not valid UTF-8, while line {utf8_line} is UTF-8. "
        "The file mixes two encodings: save it again, wholly in UTF-8.",
    ),
    "encoding_invalid": (
        "{file}, ligne {line}, colonne {column} : octet {byte} illisible en UTF-8 comme en Windows-1252. Réenregistrez le fichier en UTF-8.",
        "{file}, line {line}, column {column}: byte {byte} is neither UTF-8 nor Windows-1252. Save the file as UTF-8.",
    ),
    "value_missing": (
        "{file}, ligne {line}, colonne « {column} » : valeur obligatoire manquante.",
        "{file}, line {line}, column '{column}': required value is missing.",
    ),
    "value_datetime": (
        "{file}, ligne {line}, colonne « {column} » : « {value} » n'est pas une date ISO 8601 (ex. 2026-07-01T09:30:00 ou 2026-07-01T09:30:00-04:00).",
        "{file}, line {line}, column '{column}': '{value}' is not an ISO 8601 datetime (e.g. 2026-07-01T09:30:00 or 2026-07-01T09:30:00-04:00).",
    ),
    "value_nonexistent": (
        "{file}, ligne {line}, colonne « {column} » : « {value} » n'existe pas à Montréal (au passage à l'heure "
        "avancée, l'horloge saute de 2 h à 3 h). Corrigez l'heure, ou donnez-la avec son décalage (ex. "
        "2026-03-08T03:30:00-04:00). Rien n'a été changé.",
        "{file}, line {line}, column '{column}': '{value}' does not exist in Montreal (when daylight saving time "
        "starts, clocks jump from 2:00 to 3:00). Fix the time, or give it with its offset (e.g. "
        "2026-03-08T03:30:00-04:00). Nothing was changed.",
    ),
    "value_code": (
        "{file}, ligne {line}, colonne « {column} » : code inconnu « {value} ». Codes permis : {allowed}.",
        "{file}, line {line}, column '{column}': unknown code '{value}'. Allowed codes: {allowed}.",
    ),
    "value_boolean": (
        "{file}, ligne {line}, colonne « {column} » : « {value} » n'est ni vrai ni faux (true/false, oui/non, 1/0).",
        "{file}, line {line}, column '{column}': '{value}' is neither true nor false (true/false, yes/no, 1/0).",
    ),
    "end_before_start": (
        "{file}, ligne {line}, colonne « end » : la fin ({end}) précède le début ({start}).",
        "{file}, line {line}, column 'end': the end ({end}) is before the start ({start}).",
    ),
    "duplicate_id": (
        "{file}, ligne {line}, colonne « {column} » : l'identifiant « {value} » apparaît déjà à la ligne {first_line}.",
        "{file}, line {line}, column '{column}': id '{value}' already appears on line {first_line}.",
    ),
    "file_unreadable": (
        "{file} : lecture impossible ({detail}). Vérifiez les droits du fichier ; rien n'a été changé.",
        "{file}: cannot be read ({detail}). Check the file's permissions; nothing was changed.",
    ),
    "line_endings_cr": (
        "{file} : les lignes se terminent par un retour chariot seul (format Mac ancien) : enregistrez-le en CSV "
        "standard (UTF-8) ; rien n'a été changé.",
        "{file}: lines end with a lone carriage return (old Mac format): save it as standard CSV (UTF-8); nothing "
        "was changed.",
    ),
    "header_unreadable": (
        "{file}, ligne {line} : en-tête illisible ({detail}) ; la première ligne doit nommer les colonnes. Rien n'a été changé.",
        "{file}, line {line}: unreadable header ({detail}); the first line must name the columns. Nothing was changed.",
    ),
    "db_not_duckdb": (
        "{db} n'est pas une base DuckDB de l'orchestrateur : vérifiez --db et ORCHESTRATOR_DB ; rien n'a été changé.",
        "{db} is not an orchestrator DuckDB database: check --db and ORCHESTRATOR_DB; nothing was changed.",
    ),
    "db_unopenable": (
        "La base {db} ne peut pas être ouverte ({detail}). Vérifiez ses droits et ceux de son dossier (lecture et "
        "écriture pour cet utilisateur) ; rien n'a été changé.",
        "Database {db} cannot be opened ({detail}). Check its permissions and its folder's (read and write for this "
        "user); nothing was changed.",
    ),
    "excel_too_large": (
        "{file} : ce classeur Excel se décompresse en {size} Mio, au-delà de la limite de {limit} Mio ; rien n'a été "
        "changé. Exportez la table en CSV.",
        "{file}: this Excel workbook inflates to {size} MiB, past the {limit} MiB limit; nothing was changed. "
        "Export the table as CSV.",
    ),
    "rows_lost": (
        "{file} : le fichier contient {expected} ligne(s) de données, mais {stored} ont été lues. La lecture "
        "en a perdu : le chargement est refusé et rien n'a été changé. Vérifiez le fichier (guillemets, "
        "lignes coupées) ou signalez-le avec ce fichier.",
        "{file}: the file holds {expected} data row(s), but {stored} were read. Rows were lost on the way: "
        "the load is refused and nothing was changed. Check the file (quotes, broken lines) or report it with "
        "this file.",
    ),
    "line_too_long": (
        "{file}, ligne {line} : ligne de plus de {limit} Mio, sans doute un fichier abîmé ou un guillemet non "
        "fermé ; rien n'a été changé.",
        "{file}, line {line}: a line longer than {limit} MiB, most likely a damaged file or an unclosed quote; "
        "nothing was changed.",
    ),
    "excel_unreadable": (
        "{file} : classeur Excel illisible ({detail}).",
        "{file}: unreadable Excel workbook ({detail}).",
    ),
    "parquet_unreadable": (
        "{file} : fichier Parquet illisible ({detail}).",
        "{file}: unreadable Parquet file ({detail}).",
    ),
    "nothing_changed": (
        "Exportation identique au dernier chargement : rien n'a changé.",
        "Export identical to the last load: nothing changed.",
    ),
    "loaded": (
        "Chargé : {services} services, {staff} membres du personnel, {appointments} rendez-vous, {availabilities} disponibilités. "
        "{pending} service(s) en attente de synchronisation.",
        "Loaded: {services} services, {staff} staff members, {appointments} appointments, {availabilities} availabilities. "
        "{pending} service(s) waiting for a sync.",
    ),
    # Store
    "db_busy": (
        "La base {db} est occupée depuis plus de {seconds} s par un autre programme ({holder}). "
        "Réessayez dans un instant ; si cela dure, fermez ce programme.",
        "Database {db} has been busy for more than {seconds} s, held by another program ({holder}). "
        "Try again in a moment; if it lasts, close that program.",
    ),
    "db_missing": (
        "La base {db} n'existe pas : rien n'a été créé. Chargez d'abord le DMÉ (`orchestrator --db {db} load DOSSIER`, "
        "ou `orchestrator demo` pour la clinique de démonstration), ou vérifiez --db et ORCHESTRATOR_DB.",
        "Database {db} does not exist: nothing was created. Load the EMR first (`orchestrator --db {db} load FOLDER`, "
        "or `orchestrator demo` for the demo clinic), or check --db and ORCHESTRATOR_DB.",
    ),
    "db_newer": (
        "La base {db} vient d'une version plus récente (schéma {found} > {known}). Mettez orchestrator_lib à jour.",
        "Database {db} comes from a newer version (schema {found} > {known}). Upgrade orchestrator_lib.",
    ),
    "key_mismatch": (
        "La clé de pseudonymisation des patients ne correspond pas à celle de la base {db}. "
        "Rétablissez le fichier {key_file} ou la variable ORCHESTRATOR_PATIENT_KEY d'origine.",
        "The patient pseudonymisation key does not match the one of database {db}. "
        "Restore the original {key_file} file or ORCHESTRATOR_PATIENT_KEY variable.",
    ),
    "key_invalid": (
        "Le fichier de clé {key_file} est invalide ({size} octets) : il doit contenir exactement 64 chiffres "
        "hexadécimaux. Rien n'a été chargé. Rétablissez la clé d'origine depuis une copie de sauvegarde ; pour une "
        "base neuve, supprimez le fichier et une nouvelle clé sera créée.",
        "Key file {key_file} is invalid ({size} bytes): it must hold exactly 64 hexadecimal digits. Nothing was "
        "loaded. Restore the original key from a backup; for a new database, delete the file and a new key is made.",
    ),
    "key_missing": (
        "Le fichier de clé {key_file} a disparu alors que la base {db} contient des pseudonymes faits avec lui. "
        "Rétablissez-le (copie de sauvegarde) ou définissez ORCHESTRATOR_PATIENT_KEY avec la clé d'origine.",
        "Key file {key_file} is gone while database {db} holds pseudonyms made with it. "
        "Restore it (from a backup) or set ORCHESTRATOR_PATIENT_KEY to the original key.",
    ),
    # Wizard, history, manual changes
    "not_listed": (
        "Le service « {service_id} » n'est pas proposé à l'étape {step} ; `orchestrator explain {service_id}` dit pourquoi.",
        "Service '{service_id}' is not listed at step {step}; `orchestrator explain {service_id}` says why.",
    ),
    "type_unknown": (
        "Type de service inconnu : « {value} ». Types permis : {allowed}.",
        "Unknown service type: '{value}'. Allowed types: {allowed}.",
    ),
    "excluded_and_typed": (
        "Le service « {service_id} » ne peut pas être à la fois exclu et typé.",
        "Service '{service_id}' cannot be both excluded and typed.",
    ),
    "decisions_json": (
        "{file}, ligne {line}, colonne {column} : JSON invalide ({detail}).",
        "{file}, line {line}, column {column}: invalid JSON ({detail}).",
    ),
    "decisions_duplicate_key": (
        "{file} : la clé {name} apparaît deux fois : une des deux décisions serait perdue. Rien n'a été appliqué.",
        "{file}: key {name} appears twice: one of the two decisions would be lost. Nothing was applied.",
    ),
    "decisions_encoding": (
        "{file} : octet {byte} (position {position}) illisible en UTF-8 ; enregistrez le fichier de décisions en UTF-8.",
        "{file}: byte {byte} (position {position}) is not UTF-8; save the decisions file as UTF-8.",
    ),
    "decisions_shape": (
        '{file} : {detail}. Forme attendue : {{"exclude": [id, …], "inactive": [id, …], "types": {{id: [type, …]}}}}.',
        '{file}: {detail}. Expected shape: {{"exclude": [id, …], "inactive": [id, …], "types": {{id: [type, …]}}}}.',
    ),
    "stale_state": (
        "{count} service(s) ont changé depuis l'ouverture de l'assistant ({services}) : rien n'a été appliqué. "
        "Rechargez l'assistant : vos choix qui s'appliquent encore sont conservés.",
        "{count} service(s) changed since the wizard was opened ({services}): nothing was applied. "
        "Reload the wizard: your choices that still apply are kept.",
    ),
    "undo_nothing": ("Aucune exécution à annuler.", "No run to undo."),
    "run_unknown": ("Exécution inconnue : « {run_id} ».", "Unknown run: '{run_id}'."),
    "undo_of_undo": (
        "« {run_id} » est elle-même une annulation : elle ne s'annule pas.",
        "'{run_id}' is itself an undo: it cannot be undone.",
    ),
    "undo_already": (
        "« {run_id} » a déjà été annulée par {undone_by}.",
        "'{run_id}' was already undone by {undone_by}.",
    ),
    "undo_depends": (
        "Impossible d'annuler {run_id} : les exécutions suivantes modifient les mêmes services : {later}. "
        "Annulez-les d'abord, de la plus récente à la plus ancienne.",
        "Cannot undo {run_id}: later runs change the same services: {later}. Undo them first, newest first.",
    ),
    "not_imported": (
        "Le service « {service_id} » n'est pas importé : lancez d'abord une synchronisation.",
        "Service '{service_id}' is not imported: run a sync first.",
    ),
    "activate_needs_type": (
        "Pour activer « {service_id} », donnez-lui au moins un type ({allowed}).",
        "To activate '{service_id}', give it at least one type ({allowed}).",
    ),
    "no_change": (
        "Le service « {service_id} » est déjà dans cet état : rien à changer, aucune exécution n'est enregistrée.",
        "Service '{service_id}' is already in that state: nothing to change, no run is recorded.",
    ),
    "sync_done": (
        "{run_id} appliquée : {active} actif(s), {inactive} inactif(s), {excluded} exclu(s) ; "
        "{auto_reactivated} réactivé(s) et {auto_deactivated} désactivé(s) automatiquement.",
        "{run_id} applied: {active} active, {inactive} inactive, {excluded} excluded; "
        "{auto_reactivated} reactivated and {auto_deactivated} deactivated automatically.",
    ),
    "sync_dry_run": (
        "Essai, rien n'est écrit : {active} actif(s), {inactive} inactif(s), {excluded} exclu(s) ; "
        "{auto_reactivated} réactivé(s) et {auto_deactivated} désactivé(s) automatiquement.",
        "Dry run, nothing written: {active} active, {inactive} inactive, {excluded} excluded; "
        "{auto_reactivated} reactivated and {auto_deactivated} deactivated automatically.",
    ),
    "sync_nothing": (
        "Rien à changer : les services sont déjà dans l'état demandé ; aucune exécution n'est enregistrée.",
        "Nothing to change: the services already are as asked; no run is recorded.",
    ),
    "sync_what_if": (
        "  {quarter} : {before} → {after} éléments comptés, couverture {coverage_before} → {coverage_after}.",
        "  {quarter}: {before} → {after} items counted, coverage {coverage_before} → {coverage_after}.",
    ),
    "undone": ("Annulation enregistrée : {run_id}.", "Undo recorded: {run_id}."),
    "changed": ("{service_id} modifié ({run_id}).", "{service_id} changed ({run_id})."),
    "audit_summary": (
        "{quarter} : couverture {coverage} — {counted} éléments comptés sur {owed} dus (rendez-vous {appointments} "
        "sur {appointments_owed}, disponibilités {availabilities} sur {availabilities_owed}).",
        "{quarter}: coverage {coverage} — {counted} items counted of {owed} owed (appointments {appointments} "
        "of {appointments_owed}, availabilities {availabilities} of {availabilities_owed}).",
    ),
    "audit_no_coverage": ("aucune (rien de dû ce trimestre)", "none (nothing owed this quarter)"),
    "audit_in_progress": (
        "Trimestre en cours : les chiffres changeront d'ici sa fin.",
        "Quarter in progress: the figures will change until it ends.",
    ),
    "audit_excluded": (
        "Exclus volontairement, non dus : {count} élément(s) de services exclus (Pause, Vacances…).",
        "Excluded on purpose, not owed: {count} item(s) of excluded services (Pause, Vacances…).",
    ),
    "audit_data": (
        "Données vues : dernier chargement du DMÉ le {loaded_at} ({source}) ; dernier rendez-vous le {last_appointment}, "
        "dernière disponibilité le {last_availability}.",
        "Data seen: last EMR load on {loaded_at} ({source}); last appointment on {last_appointment}, "
        "last availability on {last_availability}.",
    ),
    "audit_data_none": ("Données vues : aucun chargement du DMÉ enregistré.", "Data seen: no EMR load recorded."),
    "audit_status_ok": (
        "Seuil atteint : couverture {coverage} ≥ {threshold} % pour {quarter}.",
        "Threshold met: coverage {coverage} ≥ {threshold}% for {quarter}.",
    ),
    "audit_alarm_under": (
        "ALERTE {quarter} : couverture {coverage}, sous le seuil de {threshold} % ({counted} comptés sur {owed} dus).",
        "ALERT {quarter}: coverage {coverage}, under the {threshold}% threshold ({counted} counted of {owed} owed).",
    ),
    "audit_alarm_no_data": (
        "ALERTE {quarter} : aucune donnée due ce trimestre (rien à compter) : le seuil de {threshold} % ne peut pas "
        "être atteint. Vérifiez que le DMÉ a été chargé et que --db désigne la bonne base ({db}).",
        "ALERT {quarter}: nothing owed this quarter (nothing to count): the {threshold}% threshold cannot be met. "
        "Check that the EMR was loaded and that --db names the right database ({db}).",
    ),
    "audit_no_data": (
        "{quarter} : rien de dû ce trimestre (aucun rendez-vous ni disponibilité hors services exclus) : pas de "
        "couverture. Vérifiez que le DMÉ a été chargé dans la bonne base ({db}).",
        "{quarter}: nothing owed this quarter (no appointment or availability outside excluded services): no "
        "coverage. Check that the EMR was loaded into the right database ({db}).",
    ),
    "audit_more": (
        "  … et {count} autre(s) point(s) : voir le rapport (--out).",
        "  … and {count} more: see the report (--out).",
    ),
    "audit_written": ("Rapport écrit dans {out}.", "Report written to {out}."),
    # Audit: what to do
    "action_service_not_imported": (
        "Importer le service « {name} » ({id}) par Synchroniser.",
        "Import service '{name}' ({id}) with Sync.",
    ),
    "action_service_not_imported_emr_inactive": (
        "Le service « {name} » ({id}) est désactivé dans le DMÉ : le réactiver dans le DMÉ puis Synchroniser, "
        "ou déplacer ses rendez-vous vers un service actif.",
        "Service '{name}' ({id}) is deactivated in the EMR: reactivate it there and Sync, "
        "or move its appointments to an active service.",
    ),
    "action_service_not_imported_absent": (
        "Le service {id} n'existe pas dans l'exportation du DMÉ : corriger les rendez-vous et disponibilités qui y renvoient.",
        "Service {id} does not exist in the EMR export: fix the appointments and availabilities that refer to it.",
    ),
    "action_service_excluded": (
        "Le service « {name} » ({id}) est exclu : si ces rendez-vous doivent compter, l'inclure et l'activer avec un type.",
        "Service '{name}' ({id}) is excluded: if these appointments should count, include it and activate it with a type.",
    ),
    "action_service_inactive": (
        "Donner un type au service « {name} » ({id}) et l'activer.",
        "Give service '{name}' ({id}) a type and activate it.",
    ),
    "action_staff_missing": (
        "Ajouter {id} au Personnel médical : le créer dans le DMÉ puis Synchroniser.",
        "Add {id} to Personnel médical: create them in the EMR, then Sync.",
    ),
    "action_staff_inactive": (
        "Activer {name} ({id}) dans Personnel médical.",
        "Activate {name} ({id}) in Personnel médical.",
    ),
    "check_responsible_missing": (
        "Aucun médecin responsable du rapport GAP : en désigner un parmi le personnel actif.",
        "No responsible physician for the GAP report: choose one among active staff.",
    ),
    "check_responsible_inactive": (
        "Le médecin responsable {name} ({id}) est inactif : l'activer ou en désigner un autre.",
        "Responsible physician {name} ({id}) is inactive: activate them or choose another.",
    ),
    "check_responsible_several": (
        "Plusieurs médecins responsables ({detail}) : n'en garder qu'un.",
        "Several responsible physicians ({detail}): keep only one.",
    ),
    "check_specialty_not_primary_care": (
        "{name} ({id}), spécialité « {detail} » : Non pris en charge par l'orchestrateur.",
        "{name} ({id}), specialty '{detail}': not handled by the orchestrator (primary care only).",
    ),
    "check_availability_attribute_missing": (
        "{count} disponibilité(s) de {name} ({id}) incomplète(s), il manque : {detail}. Compléter dans le DMÉ "
        "(exigence réglementaire).",
        "{count} availability(ies) of {name} ({id}) incomplete, missing: {detail}. Complete them in the EMR "
        "(regulatory requirement).",
    ),
    "check_data_ends_early": (
        "Les données s'arrêtent le {detail} : le trimestre n'est pas complet. Chargez une exportation du DMÉ faite "
        "après la fin du trimestre.",
        "The data stops on {detail}: the quarter is not complete. Load an EMR export made after the quarter ended.",
    ),
    "check_load_before_quarter_end": (
        "Le dernier chargement du DMÉ date du {detail}, avant la fin du trimestre : ce qui a changé depuis n'est pas "
        "vu. Rechargez le DMÉ (Synchroniser, ou orchestrator load).",
        "The last EMR load dates from {detail}, before the quarter ended: what changed since is not seen. Load the "
        "EMR again (Sync, or orchestrator load).",
    ),
    "check_excluded_with_appointments": (
        "Le service exclu « {name} » ({id}) reçoit {count} rendez-vous ce trimestre : vérifier que l'exclusion est voulue.",
        "Excluded service '{name}' ({id}) receives {count} appointment(s) this quarter: check the exclusion is intended.",
    ),
    "check_will_reactivate": (
        "Le service « {name} » ({id}), inclus et inactif, a {count} rendez-vous à venir : il sera réactivé à la prochaine synchronisation.",
        "Service '{name}' ({id}), included and inactive, has {count} future appointment(s): it will be reactivated at the next sync.",
    ),
    "attribute_published_at": ("date d'ouverture à la réservation", "date opened for booking"),
    "attribute_clientele": ("clientèle visée", "clientele"),
    "attribute_reason": ("raison de consultation", "reason for consultation"),
    "attribute_mode": ("mode de consultation", "consultation mode"),
    "attribute_location": ("lieu", "location"),
    "report_failed": (
        "Le rapport n'a pas pu être produit : le carnet {notebook} s'est arrêté ({detail}). Ouvrez-le pour voir la cellule en cause.",
        "The report could not be produced: notebook {notebook} stopped ({detail}). Open it to see the failing cell.",
    ),
    # Explain
    "explain_imported_active": (
        "Importé et actif (onglet Actifs), types : {types}.",
        "Imported and active (Active tab), types: {types}.",
    ),
    "explain_imported_inactive": (
        "Importé et inactif (onglet Inactifs) ; types gardés : {types}.",
        "Imported and inactive (Inactive tab); types kept: {types}.",
    ),
    "explain_imported_excluded": (
        "Importé et exclu de la synchronisation automatique (onglet Inactifs) : jamais offert, "
        "jamais réactivé automatiquement, jamais compté.",
        "Imported and excluded from automatic sync (Inactive tab): never offered, never "
        "reactivated automatically, never counted.",
    ),
    "explain_since_run": (
        "Dernier changement : {run_id} du {date} ({decision}).",
        "Last change: {run_id} on {date} ({decision}).",
    ),
    "explain_absent_from_export": ("Absent de la dernière exportation du DMÉ.", "Absent from the latest EMR export."),
    "explain_will_reactivate": (
        "{future} rendez-vous à venir : sera réactivé automatiquement à la prochaine synchronisation "
        "(étape 3, types précédents présélectionnés).",
        "{future} future appointment(s): will be reactivated automatically at the next sync "
        "(step 3, previous types preselected).",
    ),
    "explain_excluded_with_future": (
        "{future} rendez-vous à venir alors qu'il est exclu : ils ne seront pas comptés. "
        "Vérifiez que l'exclusion est voulue.",
        "{future} future appointment(s) although excluded: they will not be counted. "
        "Check that the exclusion is intended.",
    ),
    "explain_unknown": (
        "Inconnu : absent de l'exportation du DMÉ et jamais importé.",
        "Unknown: absent from the EMR export and never imported.",
    ),
    "explain_emr_inactive": (
        "Désactivé dans le DMÉ : il n'est pas proposé à la synchronisation.",
        "Deactivated in the EMR: it is not offered for sync.",
    ),
    "explain_pending": (
        "En attente : jamais importé, il apparaît à l'étape 1 de la synchronisation ({future} rendez-vous à venir).",
        "Pending: never imported, it appears at step 1 of the sync ({future} future appointment(s)).",
    ),
    "explain_staff_active": (
        "Dans Personnel médical, onglet Actifs : ses {appointments} rendez-vous et {availabilities} disponibilités de "
        "{quarter} peuvent être comptés.",
        "In Personnel médical, Active tab: their {appointments} appointments and {availabilities} availabilities of "
        "{quarter} can be counted.",
    ),
    "explain_staff_inactive": (
        "Dans Personnel médical, onglet Inactifs : ses {appointments} rendez-vous et {availabilities} disponibilités de "
        "{quarter} ne sont pas comptés. L'activer dans Personnel médical.",
        "In Personnel médical, Inactive tab: their {appointments} appointments and {availabilities} availabilities of "
        "{quarter} are not counted. Activate them in Personnel médical.",
    ),
    "explain_staff_missing": (
        "Absent de Personnel médical (inconnu de l'exportation du DMÉ) : ses {appointments} rendez-vous et "
        "{availabilities} disponibilités de {quarter} ne sont pas comptés. Le créer dans le DMÉ puis Synchroniser.",
        "Missing from Personnel médical (unknown to the EMR export): their {appointments} appointments and "
        "{availabilities} availabilities of {quarter} are not counted. Create them in the EMR, then Sync.",
    ),
    "explain_staff_responsible": ("Médecin responsable du rapport GAP.", "Responsible physician of the GAP report."),
    "id_unknown": (
        "Identifiant inconnu : « {value} ». Ce n'est ni un service ni un membre du personnel de l'exportation du DMÉ, "
        "de l'orchestrateur, ou des rendez-vous et disponibilités ; `orchestrator services` et `orchestrator staff` "
        "listent ceux qui existent.",
        "Unknown id: '{value}'. It is neither a service nor a staff member of the EMR export, of the orchestrator, or "
        "of the appointments and availabilities; `orchestrator services` and `orchestrator staff` list those that exist.",
    ),
    "explain_chosen_excluded": (
        "Dans cet assistant : coché pour exclusion à l'étape 1, il n'apparaît plus aux étapes suivantes.",
        "In this wizard: ticked for exclusion at step 1, so it no longer appears in later steps.",
    ),
    "explain_chosen_kept_inactive": (
        "Dans cet assistant : gardé inactif à l'étape 2 ; sans rendez-vous à venir, il n'apparaît pas à l'étape 3.",
        "In this wizard: kept inactive at step 2; with no future appointment it does not appear at step 3.",
    ),
    "explain_chosen_kept_inactive_future": (
        "Dans cet assistant : gardé inactif à l'étape 2, mais ses {future} rendez-vous à venir "
        "le ramènent à l'étape 3 (réactivation automatique).",
        "In this wizard: kept inactive at step 2, but its {future} future appointment(s) "
        "bring it back at step 3 (automatic reactivation).",
    ),
    "explain_chosen_types": (
        "Dans cet assistant : à l'étape 3 avec les types {types} ; il sera actif.",
        "In this wizard: at step 3 with types {types}; it will be active.",
    ),
    "explain_chosen_no_type": (
        "Dans cet assistant : à l'étape 3 sans type ; il sera désactivé automatiquement.",
        "In this wizard: at step 3 without a type; it will be deactivated automatically.",
    ),
    "token_required": (
        "Refusé : servir le tableau de bord sur {host} exige un jeton (--token ou ORCHESTRATOR_TOKEN). "
        "Sans jeton, seule l'adresse locale 127.0.0.1 est permise.",
        "Refused: serving the dashboard on {host} requires a token (--token or ORCHESTRATOR_TOKEN). "
        "Without a token, only the local address 127.0.0.1 is allowed.",
    ),
    "quarter_forms": (
        "Formes acceptées : 2026Q3, 2026T3, 2026-Q3, T3 2026, Q3 2026, previous (le trimestre qui vient de finir), "
        "current (le trimestre en cours).",
        "Accepted forms: 2026Q3, 2026T3, 2026-Q3, T3 2026, Q3 2026, previous (the quarter that just ended), "
        "current (the quarter in progress).",
    ),
    "as_of_forms": (
        "Exemple : 2026-07-01T09:00 ou 2026-07-01T13:00:00+00:00.",
        "Example: 2026-07-01T09:00 or 2026-07-01T13:00:00+00:00.",
    ),
    "bad_option": (
        "Valeur refusée pour {option} : « {value} ». {hint}",
        "Value refused for {option}: '{value}'. {hint}",
    ),
    "unexpected": (
        "Erreur inattendue : {detail}",
        "Unexpected error: {detail}",
    ),
}


MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def long_date(day) -> str:
    """``12 septembre 2026`` (``1er`` for the first) / ``September 12, 2026``; also takes ISO text."""
    import datetime as dt

    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    month = MONTHS[language()][day.month - 1]
    if language() == "en":
        return f"{month} {day.day}, {day.year}"
    return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"


def number(value: float | int, decimals: int = 0) -> str:
    """``12 345,6`` in French (narrow no-break space), ``12,345.6`` in English."""
    text = f"{value:,.{decimals}f}"
    if language() == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")


def percent(value: float, decimals: int = 1) -> str:
    """``71,6 %`` (no-break space) in French, ``71.6%`` in English."""
    return f"{number(value, decimals)}%" if language() == "en" else f"{number(value, decimals)}\u00a0%"


def describe_extent(extent: dict) -> str:
    """What the data covers (an audit's ``extent``), as one sentence."""
    if not extent.get("last_load"):
        return msg("audit_data_none")

    def day(iso: str | None) -> str:
        return long_date(iso) if iso else "—"

    return msg(
        "audit_data",
        loaded_at=day(extent["last_load"]["at"]),
        source=extent["last_load"]["source"],
        last_appointment=day(extent["last_appointment"]),
        last_availability=day(extent["last_availability"]),
    )


def language() -> str:
    """The user's language: ``fr`` unless ``$ORCHESTRATOR_LANG`` asks for ``en``."""
    return "en" if os.environ.get("ORCHESTRATOR_LANG", "fr").lower().startswith("en") else "fr"


def in_language(texts: tuple[str, str], **values: object) -> str:
    """The (French, English) pair's text in the user's language, filled with ``values``.
    Every catalogue of words (messages here, view and report labels) goes through it."""
    french, english = texts
    text = english if language() == "en" else french
    return text.format(**values) if values else text


def msg(key: str, **values: object) -> str:
    """The message ``key`` in the user's language, filled with ``values``."""
    return in_language(MESSAGES[key], **values)
