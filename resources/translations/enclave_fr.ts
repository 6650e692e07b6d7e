<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>Actions</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>É&amp;dition</translation>
    </message>
    <message>
        <source>&amp;Models</source>
        <translation>&amp;Modèles</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Aide</translation>
    </message>
    <message>
        <source>&amp;Export conversation</source>
        <translation>&amp;Exporter la conversation</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>&amp;Nouvelle discussion</translation>
    </message>
    <message>
        <source>&amp;Search conversations</source>
        <translation>&amp;Rechercher dans les conversations</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>&amp;Paramètres…</translation>
    </message>
    <message>
        <source>S&amp;top answer</source>
        <translation>&amp;Arrêter la réponse</translation>
    </message>
    <message>
        <source>&amp;Import conversation (JSON)…</source>
        <translation>&amp;Importer une conversation (JSON)…</translation>
    </message>
    <message>
        <source>As &amp;Markdown…</source>
        <translation>En &amp;Markdown…</translation>
    </message>
    <message>
        <source>As &amp;HTML…</source>
        <translation>En &amp;HTML…</translation>
    </message>
    <message>
        <source>As &amp;PDF…</source>
        <translation>En &amp;PDF…</translation>
    </message>
    <message>
        <source>As &amp;JSON…</source>
        <translation>En &amp;JSON…</translation>
    </message>
    <message>
        <source>&amp;Rename conversation…</source>
        <translation>Reno&amp;mmer la conversation…</translation>
    </message>
    <message>
        <source>&amp;Delete conversation</source>
        <translation>&amp;Supprimer la conversation</translation>
    </message>
    <message>
        <source>Delete &amp;all history…</source>
        <translation>Supprimer &amp;tout l’historique…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;Model manager…</source>
        <translation>&amp;Gestionnaire de modèles…</translation>
    </message>
    <message>
        <source>&amp;About Enclave</source>
        <translation>À &amp;propos d’Enclave</translation>
    </message>
</context>
<context>
    <name>ApiSection</name>
    <message>
        <source>Local API for other apps on this computer</source>
        <translation>API locale pour les autres applis de cet ordinateur</translation>
    </message>
    <message>
        <source>API token</source>
        <translation>Jeton de l’API</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>Copy the token to the clipboard</source>
        <translation>Copier le jeton dans le presse-papiers</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Régénérer</translation>
    </message>
    <message>
        <source>Make a new token; programs using the old one are refused at once.</source>
        <translation>Crée un nouveau jeton&#x202f;; les programmes qui ont l’ancien sont refusés aussitôt.</translation>
    </message>
    <message>
        <source>Programs on this computer (editors, scripts) can use Enclave&apos;s model through an OpenAI-compatible API on 127.0.0.1, with this token. Nothing else can reach it.</source>
        <translation>Les programmes de cet ordinateur (éditeurs, scripts) peuvent utiliser le modèle d’Enclave par une API compatible OpenAI sur 127.0.0.1, avec ce jeton. Rien d’autre ne peut l’atteindre.</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>Jeton</translation>
    </message>
    <message>
        <source>Your administrator&apos;s policy turns the local API off.</source>
        <translation>La stratégie de votre administrateur désactive l’API locale.</translation>
    </message>
    <message>
        <source>Running at {url}; it moves to this port when you press OK.</source>
        <translation>En service sur {url}&#x202f;; elle passe sur ce port quand vous cliquez sur OK.</translation>
    </message>
    <message>
        <source>Running: programs on this computer can connect now.</source>
        <translation>En service&#x202f;: les programmes de cet ordinateur peuvent s’y connecter.</translation>
    </message>
    <message>
        <source>Running; it stops when you press OK.</source>
        <translation>En service&#x202f;; elle s’arrête quand vous cliquez sur OK.</translation>
    </message>
    <message>
        <source>Could not start: {error}</source>
        <translation>Démarrage impossible&#x202f;: {error}</translation>
    </message>
    <message>
        <source>It starts when you press OK.</source>
        <translation>Elle démarre quand vous cliquez sur OK.</translation>
    </message>
    <message>
        <source>Off: nothing listens.</source>
        <translation>Désactivée&#x202f;: rien n’écoute.</translation>
    </message>
    <message>
        <source>The token is copied.</source>
        <translation>Le jeton est copié.</translation>
    </message>
    <message>
        <source>A new token: programs using the old one are refused now.</source>
        <translation>Nouveau jeton&#x202f;: les programmes qui ont l’ancien sont refusés.</translation>
    </message>
</context>
<context>
    <name>CatalogTable</name>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>License</source>
        <translation>Licence</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Contexte</translation>
    </message>
    <message>
        <source>Checksum</source>
        <translation>Somme de contrôle</translation>
    </message>
    <message>
        <source>About</source>
        <translation>À propos</translation>
    </message>
    <message>
        <source>Recommended models</source>
        <translation>Modèles recommandés</translation>
    </message>
    <message>
        <source>verified</source>
        <translation>vérifiée</translation>
    </message>
    <message>
        <source>checked at download</source>
        <translation>vérifiée au téléchargement</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>Installé</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Télécharger</translation>
    </message>
    <message>
        <source>Download {name}</source>
        <translation>Télécharger {name}</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>Show earlier messages</source>
        <translation>Afficher les messages précédents</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>Conversation</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Attach documents</source>
        <translation>Joindre des documents</translation>
    </message>
    <message>
        <source>Documents ({patterns});;All files (*)</source>
        <translation>Documents ({patterns});;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Message Enclave…</source>
        <translation>Écrire à Enclave…</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Message</translation>
    </message>
    <message>
        <source>Enter sends, Shift+Enter starts a new line, Up edits your last message</source>
        <translation>Entrée envoie, Maj+Entrée passe à la ligne, Haut modifie votre dernier message</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>Arrêter la réponse (Échap)</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Envoyer</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>Envoyer (Entrée)</translation>
    </message>
    <message>
        <source>Attach documents to summarise or ask about</source>
        <translation>Joindre des documents à résumer ou à interroger</translation>
    </message>
    <message>
        <source>This model runs on your company&apos;s server {server}: what you type is sent there. Answers can be wrong: check what matters.</source>
        <translation>Ce modèle tourne sur le serveur de votre entreprise {server} : ce que vous écrivez y est envoyé. Les réponses peuvent être fausses : vérifiez ce qui compte.</translation>
    </message>
    <message>
        <source>Enclave runs on this computer. Nothing you type leaves it. Answers can be wrong: check what matters.</source>
        <translation>Enclave fonctionne sur cet ordinateur. Rien de ce que vous écrivez n’en sort. Les réponses peuvent être fausses&#xa0;: vérifiez ce qui compte.</translation>
    </message>
</context>
<context>
    <name>DetailsDialog</name>
    <message>
        <source>Answer details</source>
        <translation>Détails de la réponse</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Written</source>
        <translation>Écrite le</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>Jetons de l’invite</translation>
    </message>
    <message>
        <source>From cache</source>
        <translation>Repris du cache</translation>
    </message>
    <message>
        <source>Generated tokens</source>
        <translation>Jetons générés</translation>
    </message>
    <message>
        <source>Time to first token</source>
        <translation>Délai du premier jeton</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Vitesse</translation>
    </message>
    <message>
        <source>{rate:.1f} tokens/s</source>
        <translation>{rate:.1f} jetons/s</translation>
    </message>
    <message>
        <source>Total time</source>
        <translation>Durée totale</translation>
    </message>
    <message>
        <source>Stopped because</source>
        <translation>Arrêt dû à</translation>
    </message>
    <message>
        <source>Older turns left out</source>
        <translation>Anciens échanges omis</translation>
    </message>
    <message>
        <source>Parameters:</source>
        <translation>Paramètres&#xa0;:</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Copy as JSON</source>
        <translation>Copier en JSON</translation>
    </message>
    <message>
        <source>complete</source>
        <translation>terminée</translation>
    </message>
    <message>
        <source>stopped by the user</source>
        <translation>arrêtée par l’utilisateur</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>interrompue</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>échouée</translation>
    </message>
    <message>
        <source>being written</source>
        <translation>en cours d’écriture</translation>
    </message>
    <message>
        <source>the model finished</source>
        <translation>fin de la réponse du modèle</translation>
    </message>
    <message>
        <source>the token limit</source>
        <translation>la limite de jetons</translation>
    </message>
    <message>
        <source>you stopped it</source>
        <translation>votre demande d’arrêt</translation>
    </message>
    <message>
        <source>it was repeating itself</source>
        <translation>il se répétait</translation>
    </message>
    <message>
        <source>an error</source>
        <translation>une erreur</translation>
    </message>
</context>
<context>
    <name>DocumentsPanel</name>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <source>Stopping after the current step…</source>
        <translation>Arrêt après l&apos;étape en cours…</translation>
    </message>
    <message>
        <source>Reading {name}…</source>
        <translation>Lecture de {name}…</translation>
    </message>
    <message>
        <source>Summarising {name}: part {i} of {n}</source>
        <translation>Résumé de {name} : partie {i} sur {n}</translation>
    </message>
    <message>
        <source>Summarising {name}: merging the parts</source>
        <translation>Résumé de {name} : fusion des parties</translation>
    </message>
    <message>
        <source>Summarising {name}…</source>
        <translation>Résumé de {name}…</translation>
    </message>
    <message>
        <source>about {s} s left</source>
        <translation>environ {s} s restantes</translation>
    </message>
    <message>
        <source>{n} more queued</source>
        <translation>{n} en attente</translation>
    </message>
    <message>
        <source>Sources:</source>
        <translation>Sources :</translation>
    </message>
</context>
<context>
    <name>DropController</name>
    <message>
        <source>Summarise a document…</source>
        <translation>Résumer un document…</translation>
    </message>
    <message>
        <source>Summarise documents</source>
        <translation>Résumer des documents</translation>
    </message>
    <message>
        <source>Documents ({patterns});;All files (*)</source>
        <translation>Documents ({patterns});;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Summary of {name} cancelled; the parts done so far are kept.</source>
        <translation>Résumé de {name} annulé ; les parties déjà faites sont conservées.</translation>
    </message>
    <message>
        <source>Summary of {name} is ready. Ask questions about it below.</source>
        <translation>Le résumé de {name} est prêt. Posez vos questions ci-dessous.</translation>
    </message>
    <message>
        <source>Summary of {name} cancelled.</source>
        <translation>Résumé de {name} annulé.</translation>
    </message>
    <message>
        <source>Password needed</source>
        <translation>Mot de passe requis</translation>
    </message>
    <message>
        <source>{name} is protected by a password. Enter it to read the document:</source>
        <translation>{name} est protégé par un mot de passe. Saisissez-le pour lire le document :</translation>
    </message>
    <message>
        <source>{name} cannot be opened; it may have been moved or deleted.</source>
        <translation>Impossible d&apos;ouvrir {name} ; il a peut-être été déplacé ou supprimé.</translation>
    </message>
</context>
<context>
    <name>DropOverlay</name>
    <message>
        <source>Drop to ask about it</source>
        <translation>Déposez pour l’interroger</translation>
    </message>
    <message>
        <source>Drop to ask about them</source>
        <translation>Déposez pour les interroger</translation>
    </message>
    <message>
        <source>Enclave reads it on this computer and adds it to this conversation&apos;s documents; your questions are answered from all of them.</source>
        <translation>Enclave le lit sur cet ordinateur et l’ajoute aux documents de cette conversation ; les réponses s’appuient sur l’ensemble.</translation>
    </message>
    <message>
        <source>Drop to summarise</source>
        <translation>Déposez pour résumer</translation>
    </message>
    <message>
        <source>Enclave reads it on this computer and writes a summary; then ask your questions about it.</source>
        <translation>Enclave le lit sur cet ordinateur et en écrit un résumé ; posez ensuite vos questions à son sujet.</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>Web page (*.html)</source>
        <translation>Page web (*.html)</translation>
    </message>
    <message>
        <source>PDF document (*.pdf)</source>
        <translation>Document PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Enclave JSON, every branch (*.json)</source>
        <translation>JSON Enclave, toutes les branches (*.json)</translation>
    </message>
    <message>
        <source>conversation</source>
        <translation>conversation</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>Exporter la conversation</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>Échec de l’export</translation>
    </message>
    <message>
        <source>Import conversation</source>
        <translation>Importer une conversation</translation>
    </message>
    <message>
        <source>Import failed</source>
        <translation>Échec de l’import</translation>
    </message>
</context>
<context>
    <name>History</name>
    <message>
        <source>Your conversation history is encrypted, but no system keyring is available to unlock it.</source>
        <translation>Votre historique de conversations est chiffré, mais aucun trousseau système n’est disponible pour le déverrouiller.</translation>
    </message>
    <message>
        <source>Your conversation history is encrypted, and the system keyring is locked.</source>
        <translation>Votre historique de conversations est chiffré, et le trousseau système est verrouillé.</translation>
    </message>
    <message>
        <source>Your conversation history is encrypted, but its key is not in your keyring.</source>
        <translation>Votre historique de conversations est chiffré, mais sa clé n’est pas dans votre trousseau.</translation>
    </message>
    <message>
        <source>Your conversation history is encrypted, and the key in your keyring does not open it.</source>
        <translation>Votre historique de conversations est chiffré, et la clé de votre trousseau ne l’ouvre pas.</translation>
    </message>
    <message>
        <source>Your conversation history cannot be opened.</source>
        <translation>Votre historique de conversations ne peut pas être ouvert.</translation>
    </message>
    <message>
        <source>Nothing was deleted. Until the key is back (unlock or restore your keyring, then restart Enclave), conversations are kept in memory only and are not saved.</source>
        <translation>Rien n’a été supprimé. Tant que la clé n’est pas revenue (déverrouillez ou restaurez votre trousseau, puis redémarrez Enclave), les conversations restent en mémoire seulement et ne sont pas enregistrées.</translation>
    </message>
    <message>
        <source>History unavailable</source>
        <translation>Historique indisponible</translation>
    </message>
    <message>
        <source>Delete all history</source>
        <translation>Supprimer tout l’historique</translation>
    </message>
    <message>
        <source>Stop the current answer first.</source>
        <translation>Arrêtez d’abord la réponse en cours.</translation>
    </message>
    <message>
        <source>Delete every conversation and document for good? They are erased from this computer and cannot be recovered.</source>
        <translation>Supprimer définitivement toutes les conversations et tous les documents ? Ils sont effacés de cet ordinateur et ne pourront pas être récupérés.</translation>
    </message>
    <message>
        <source>Deleted {n} conversation(s) for good.</source>
        <translation>{n} conversation(s) supprimée(s) définitivement.</translation>
    </message>
    <message>
        <source>The history will be converted when Enclave next starts.</source>
        <translation>L’historique sera converti au prochain démarrage d’Enclave.</translation>
    </message>
    <message>
        <source>Encrypting the history…</source>
        <translation>Chiffrement de l’historique…</translation>
    </message>
    <message>
        <source>Decrypting the history…</source>
        <translation>Déchiffrement de l’historique…</translation>
    </message>
    <message>
        <source>History encryption</source>
        <translation>Chiffrement de l’historique</translation>
    </message>
    <message>
        <source>The history is now encrypted.</source>
        <translation>L’historique est maintenant chiffré.</translation>
    </message>
    <message>
        <source>The history is no longer encrypted.</source>
        <translation>L’historique n’est plus chiffré.</translation>
    </message>
</context>
<context>
    <name>InstalledTable</name>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>Architecture</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Quantisation</source>
        <translation>Quantification</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Taille</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Contexte</translation>
    </message>
    <message>
        <source>License</source>
        <translation>Licence</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>Mémoire</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>Installed models</source>
        <translation>Modèles installés</translation>
    </message>
    <message>
        <source>{name} (file missing)</source>
        <translation>{name} (fichier manquant)</translation>
    </message>
    <message>
        <source>★ {name} (default)</source>
        <translation>★ {name} (par défaut)</translation>
    </message>
    <message>
        <source>context {n}</source>
        <translation>contexte {n}</translation>
    </message>
    <message>
        <source>Fits</source>
        <translation>Tient en mémoire</translation>
    </message>
    <message>
        <source>Tight</source>
        <translation>Juste</translation>
    </message>
    <message>
        <source>Too big</source>
        <translation>Trop gros</translation>
    </message>
    <message>
        <source>Bundled</source>
        <translation>Fourni</translation>
    </message>
    <message>
        <source>Imported</source>
        <translation>Importé</translation>
    </message>
    <message>
        <source>Downloaded</source>
        <translation>Téléchargé</translation>
    </message>
    <message>
        <source>Shared by IT</source>
        <translation>Partagé par le service informatique</translation>
    </message>
</context>
<context>
    <name>Job</name>
    <message>
        <source>Something went wrong ({error}); details are in the log file.</source>
        <translation>Un problème est survenu ({error})&#x202f;; les détails sont dans le journal.</translation>
    </message>
</context>
<context>
    <name>LoadProgress</name>
    <message>
        <source>Loading… %p %</source>
        <translation>Chargement… %p %</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>Model loading progress</source>
        <translation>Progression du chargement</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Stop loading this model</source>
        <translation>Arrêter ce chargement</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>loading was stopped; your next message loads it.</source>
        <translation>chargement arrêté ; votre prochain message le charge.</translation>
    </message>
    <message>
        <source>Enclave</source>
        <translation>Enclave</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>Nouvelle discussion</translation>
    </message>
    <message>
        <source>No system prompt</source>
        <translation>Aucune consigne système</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>Personnalisée</translation>
    </message>
    <message>
        <source>Locked by your administrator&apos;s policy.</source>
        <translation>Verrouillé par la stratégie de votre administrateur.</translation>
    </message>
    <message>
        <source>The system prompt of this conversation</source>
        <translation>La consigne système de cette conversation</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modèles</translation>
    </message>
    <message>
        <source>The model manager is not available in this version.</source>
        <translation>Le gestionnaire de modèles n’est pas disponible dans cette version.</translation>
    </message>
    <message>
        <source>Your administrator has chosen the model; it cannot be changed here.</source>
        <translation>Votre administrateur a choisi le modèle&#x202f;; il ne peut pas être changé ici.</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exporter</translation>
    </message>
    <message>
        <source>Open a conversation to export it.</source>
        <translation>Ouvrez une conversation pour l’exporter.</translation>
    </message>
    <message>
        <source>About Enclave</source>
        <translation>À propos d’Enclave</translation>
    </message>
    <message>
        <source>&lt;b&gt;Enclave {version}&lt;/b&gt;&lt;br&gt;A private assistant: the language model runs on this computer and your conversations stay here.</source>
        <translation>&lt;b&gt;Enclave {version}&lt;/b&gt;&lt;br&gt;Un assistant privé&#xa0;: le modèle de langage fonctionne sur cet ordinateur et vos conversations y restent.</translation>
    </message>
    <message>
        <source>System prompt:</source>
        <translation>Consigne système&#xa0;:</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Consigne système</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversations</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Edit message</source>
        <translation>Modifier le message</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Save and send</source>
        <translation>Enregistrer et envoyer</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Arrêtée.</translation>
    </message>
    <message>
        <source>Interrupted: Enclave closed before this answer was finished.</source>
        <translation>Interrompue&#xa0;: Enclave s’est fermé avant la fin de cette réponse.</translation>
    </message>
    <message>
        <source>This answer failed.</source>
        <translation>Cette réponse a échoué.</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Vous</translation>
    </message>
    <message>
        <source>Enclave</source>
        <translation>Enclave</translation>
    </message>
    <message>
        <source>Loading model {name}…</source>
        <translation>Chargement du modèle {name}…</translation>
    </message>
    <message>
        <source>Reading the document…</source>
        <translation>Lecture du document…</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>Réflexion…</translation>
    </message>
    <message>
        <source>Loading model {name}… {percent} %</source>
        <translation>Chargement du modèle {name}… {percent} %</translation>
    </message>
    <message>
        <source>Thought for {n} s</source>
        <translation>Réflexion de {n} s</translation>
    </message>
    <message>
        <source>Thought</source>
        <translation>Réflexion</translation>
    </message>
    <message>
        <source>Stopped: the answer was repeating itself.</source>
        <translation>Arrêtée : la réponse se répétait.</translation>
    </message>
    <message>
        <source>Stopped while the model was loading; send again to load it.</source>
        <translation>Arrêté pendant le chargement du modèle ; renvoyez pour le charger.</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>Copy this message</source>
        <translation>Copier ce message</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Modifier</translation>
    </message>
    <message>
        <source>Edit and resend as a new branch (Up)</source>
        <translation>Modifier et renvoyer dans une nouvelle branche (Haut)</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Régénérer</translation>
    </message>
    <message>
        <source>Write another answer; this one is kept</source>
        <translation>Écrire une autre réponse&#x202f;; celle-ci est conservée</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Détails</translation>
    </message>
    <message>
        <source>Model, parameters, token counts and timings</source>
        <translation>Modèle, paramètres, nombre de jetons et durées</translation>
    </message>
    <message>
        <source>Previous version</source>
        <translation>Version précédente</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>Version suivante</translation>
    </message>
    <message>
        <source>Your message</source>
        <translation>Votre message</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Réponse</translation>
    </message>
    <message>
        <source>Show or hide the model&apos;s reasoning</source>
        <translation>Afficher ou masquer le raisonnement du modèle</translation>
    </message>
</context>
<context>
    <name>ModelManagerDialog</name>
    <message>
        <source>Models</source>
        <translation>Modèles</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>Installés</translation>
    </message>
    <message>
        <source>Recommended</source>
        <translation>Recommandés</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>Utiliser ce modèle</translation>
    </message>
    <message>
        <source>Set as default</source>
        <translation>Définir par défaut</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Paramètres…</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Renommer…</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>Vérifier</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>Supprimer…</translation>
    </message>
    <message>
        <source>Import a .gguf file…</source>
        <translation>Importer un fichier .gguf…</translation>
    </message>
    <message>
        <source>Link instead of copying</source>
        <translation>Lier au lieu de copier</translation>
    </message>
    <message>
        <source>Use the file where it is, without a copy in Enclave&apos;s folder; it must stay there.</source>
        <translation>Utiliser le fichier là où il est, sans copie dans le dossier d’Enclave&#x202f;; il doit y rester.</translation>
    </message>
    <message>
        <source>Or drop a .gguf file on this window to import it.</source>
        <translation>Ou déposez un fichier .gguf sur cette fenêtre pour l’importer.</translation>
    </message>
    <message>
        <source>Your administrator has set the model.</source>
        <translation>Votre administrateur a défini le modèle.</translation>
    </message>
    <message>
        <source>https://…/model.gguf</source>
        <translation>https://…/modele.gguf</translation>
    </message>
    <message>
        <source>Address of a .gguf file</source>
        <translation>Adresse d’un fichier .gguf</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Télécharger</translation>
    </message>
    <message>
        <source>Other model:</source>
        <translation>Autre modèle&#xa0;:</translation>
    </message>
    <message>
        <source>Downloads are turned off by your administrator. Ask IT to install a model, or import one from a file.</source>
        <translation>Les téléchargements sont désactivés par votre administrateur. Demandez au service informatique d’installer un modèle, ou importez-en un depuis un fichier.</translation>
    </message>
    <message>
        <source>Reading the installed models…</source>
        <translation>Lecture des modèles installés…</translation>
    </message>
    <message>
        <source>Unfinished download: resume it, or cancel to delete it.</source>
        <translation>Téléchargement inachevé&#xa0;: reprenez-le, ou annulez pour le supprimer.</translation>
    </message>
    <message>
        <source>{name} is now the default model.</source>
        <translation>{name} est désormais le modèle par défaut.</translation>
    </message>
    <message>
        <source>Rename model</source>
        <translation>Renommer le modèle</translation>
    </message>
    <message>
        <source>Name shown for {file} (leave empty for the name from the file):</source>
        <translation>Nom affiché pour {file} (vide : le nom tiré du fichier) :</translation>
    </message>
    <message>
        <source>{file} is now shown as {name}.</source>
        <translation>{file} s’affiche désormais sous le nom {name}.</translation>
    </message>
    <message>
        <source>Remove {name}? Its file will be deleted from {path}.</source>
        <translation>Supprimer {name}&#x202f;? Son fichier sera effacé de {path}.</translation>
    </message>
    <message>
        <source>Remove {name}? Only the link is deleted; the original file stays.</source>
        <translation>Supprimer {name}&#x202f;? Seul le lien est supprimé&#x202f;; le fichier d’origine reste.</translation>
    </message>
    <message>
        <source>It is in use now; it stays loaded until you choose another model.</source>
        <translation>Il est en cours d’utilisation&#x202f;; il reste chargé jusqu’à ce que vous choisissiez un autre modèle.</translation>
    </message>
    <message>
        <source>Remove model</source>
        <translation>Supprimer le modèle</translation>
    </message>
    <message>
        <source>{name} was removed.</source>
        <translation>{name} a été supprimé.</translation>
    </message>
    <message>
        <source>{name}: the checksum matches.</source>
        <translation>{name}&#xa0;: la somme de contrôle correspond.</translation>
    </message>
    <message>
        <source>{name} is damaged: {problem}</source>
        <translation>{name} est endommagé&#xa0;: {problem}</translation>
    </message>
    <message>
        <source>Verifying {name}</source>
        <translation>Vérification de {name}</translation>
    </message>
    <message>
        <source>Import a model</source>
        <translation>Importer un modèle</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>Modèles GGUF (*.gguf);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Wait for the current operation to finish.</source>
        <translation>Attendez la fin de l’opération en cours.</translation>
    </message>
    <message>
        <source>{file} is already installed as {name}.</source>
        <translation>{file} est déjà installé sous le nom {name}.</translation>
    </message>
    <message>
        <source>{file} was imported as {name}.</source>
        <translation>{file} a été importé sous le nom {name}.</translation>
    </message>
    <message>
        <source>Importing {file}</source>
        <translation>Importation de {file}</translation>
    </message>
    <message>
        <source>Only .gguf model files can be imported here.</source>
        <translation>Seuls les fichiers de modèle .gguf peuvent être importés ici.</translation>
    </message>
    <message>
        <source>Downloads are turned off by your administrator.</source>
        <translation>Les téléchargements sont désactivés par votre administrateur.</translation>
    </message>
    <message>
        <source>{name} is already installed.</source>
        <translation>{name} est déjà installé.</translation>
    </message>
    <message>
        <source>{name} was downloaded and verified.</source>
        <translation>{name} a été téléchargé et vérifié.</translation>
    </message>
    <message>
        <source>Downloading {name}</source>
        <translation>Téléchargement de {name}</translation>
    </message>
    <message>
        <source>Pausing…</source>
        <translation>Mise en pause…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Annulation…</translation>
    </message>
    <message>
        <source>The download was cancelled.</source>
        <translation>Le téléchargement a été annulé.</translation>
    </message>
    <message>
        <source>No checksum published</source>
        <translation>Aucune somme de contrôle publiée</translation>
    </message>
    <message>
        <source>The server publishes no checksum for this file, so Enclave cannot check that it arrives intact and unmodified. Download it anyway?</source>
        <translation>Le serveur ne publie aucune somme de contrôle pour ce fichier&#x202f;: Enclave ne peut donc pas vérifier qu’il arrive intact et non modifié. Le télécharger quand même&#x202f;?</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Annulé.</translation>
    </message>
    <message>
        <source>Paused. The download continues where it stopped, also after Enclave restarts.</source>
        <translation>En pause. Le téléchargement reprendra là où il s’est arrêté, même après un redémarrage d’Enclave.</translation>
    </message>
    <message>
        <source>A download is running. Pause it and close? It resumes next time.</source>
        <translation>Un téléchargement est en cours. Le mettre en pause et fermer&#x202f;? Il reprendra la prochaine fois.</translation>
    </message>
    <message>
        <source>Stop the current operation and close?</source>
        <translation>Arrêter l’opération en cours et fermer&#x202f;?</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Fermer</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>on server {name}</source>
        <translation>sur le serveur {name}</translation>
    </message>
    <message>
        <source>Another model</source>
        <translation>Autre modèle</translation>
    </message>
    <message>
        <source>Locked by your administrator&apos;s policy.</source>
        <translation>Verrouillé par la stratégie de votre administrateur.</translation>
    </message>
    <message>
        <source>The model this conversation uses; the badge says whether it fits in this computer&apos;s memory (from its file size).</source>
        <translation>Le modèle de cette conversation ; le badge indique s’il tient dans la mémoire de cet ordinateur (d’après la taille de son fichier).</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>tient</translation>
    </message>
    <message>
        <source>tight fit</source>
        <translation>juste</translation>
    </message>
    <message>
        <source>too big</source>
        <translation>trop gros</translation>
    </message>
    <message>
        <source>{server}: asking for its models…</source>
        <translation>{server}&#x202f;: demande de ses modèles…</translation>
    </message>
    <message>
        <source>{server}: unavailable</source>
        <translation>{server}&#x202f;: indisponible</translation>
    </message>
</context>
<context>
    <name>ModelSettingsDialog</name>
    <message>
        <source>Settings for {name}</source>
        <translation>Paramètres de {name}</translation>
    </message>
    <message>
        <source>Use the general setting</source>
        <translation>Utiliser le réglage général</translation>
    </message>
    <message>
        <source>Context size (tokens):</source>
        <translation>Taille du contexte (jetons)&#xa0;:</translation>
    </message>
    <message>
        <source>-1 puts every layer on the GPU when there is one; 0 keeps the model on the CPU.</source>
        <translation>-1 place toutes les couches sur le GPU s’il y en a un&#x202f;; 0 garde le modèle sur le CPU.</translation>
    </message>
    <message>
        <source>GPU layers:</source>
        <translation>Couches sur le GPU&#xa0;:</translation>
    </message>
    <message>
        <source>Automatic (the model&apos;s own, else by architecture)</source>
        <translation>Automatique (celui du modèle, sinon selon l’architecture)</translation>
    </message>
    <message>
        <source>Chat template:</source>
        <translation>Modèle de conversation&#xa0;:</translation>
    </message>
    <message>
        <source>The model was trained for {n} tokens of context.</source>
        <translation>Le modèle a été entraîné pour un contexte de {n} jetons.</translation>
    </message>
</context>
<context>
    <name>Presets</name>
    <message>
        <source>Helpful assistant</source>
        <translation>Assistant serviable</translation>
    </message>
    <message>
        <source>You are a helpful, honest assistant. Answer clearly and say when you are unsure.</source>
        <translation>Tu es un assistant serviable et honnête. Réponds clairement et dis-le quand tu n’es pas sûr.</translation>
    </message>
    <message>
        <source>Concise</source>
        <translation>Concis</translation>
    </message>
    <message>
        <source>Answer in as few words as possible, without preamble.</source>
        <translation>Réponds en aussi peu de mots que possible, sans préambule.</translation>
    </message>
    <message>
        <source>Code reviewer</source>
        <translation>Relecteur de code</translation>
    </message>
    <message>
        <source>You review code. Point out bugs, risks and simpler alternatives, with examples.</source>
        <translation>Tu relis du code. Signale les bogues, les risques et les solutions plus simples, avec des exemples.</translation>
    </message>
    <message>
        <source>Translator (French ⇄ English)</source>
        <translation>Traducteur (français ⇄ anglais)</translation>
    </message>
    <message>
        <source>Translate what the user writes between French and English, keeping the tone.</source>
        <translation>Traduis ce qu’écrit l’utilisateur du français vers l’anglais ou inversement, en gardant le ton.</translation>
    </message>
</context>
<context>
    <name>PresetsEditor</name>
    <message>
        <source>Presets</source>
        <translation>Préréglages</translation>
    </message>
    <message>
        <source>New</source>
        <translation>Nouveau</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Preset name</source>
        <translation>Nom du préréglage</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Consigne système</translation>
    </message>
    <message>
        <source>Instructions the model reads before each conversation using this preset.</source>
        <translation>Instructions que le modèle lit avant chaque conversation qui utilise ce préréglage.</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom&#xa0;:</translation>
    </message>
    <message>
        <source>Prompt:</source>
        <translation>Consigne&#xa0;:</translation>
    </message>
    <message>
        <source>Default system prompt</source>
        <translation>Consigne système par défaut</translation>
    </message>
    <message>
        <source>New conversations use:</source>
        <translation>Les nouvelles conversations utilisent&#xa0;:</translation>
    </message>
    <message>
        <source>You can also choose a preset for each conversation above the chat.</source>
        <translation>Vous pouvez aussi choisir un préréglage pour chaque conversation, au-dessus de la discussion.</translation>
    </message>
    <message>
        <source>New preset</source>
        <translation>Nouveau préréglage</translation>
    </message>
    <message>
        <source>(no name)</source>
        <translation>(sans nom)</translation>
    </message>
    <message>
        <source>No system prompt</source>
        <translation>Aucune consigne système</translation>
    </message>
    <message>
        <source>Custom (set elsewhere)</source>
        <translation>Personnalisée (définie ailleurs)</translation>
    </message>
</context>
<context>
    <name>ProgressPanel</name>
    <message>
        <source>Pause</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Reprendre</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Progression</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Démarrage…</translation>
    </message>
    <message>
        <source>Downloading</source>
        <translation>Téléchargement</translation>
    </message>
    <message>
        <source>Checking what was already downloaded</source>
        <translation>Vérification de ce qui a déjà été téléchargé</translation>
    </message>
    <message>
        <source>Copying</source>
        <translation>Copie</translation>
    </message>
    <message>
        <source>Computing the checksum</source>
        <translation>Calcul de la somme de contrôle</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} sur {total}</translation>
    </message>
    <message>
        <source>{speed}/s</source>
        <translation>{speed}/s</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>{time} restant</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>Réponses</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Prompts</source>
        <translation>Consignes</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>Apparence</translation>
    </message>
    <message>
        <source>Privacy</source>
        <translation>Confidentialité</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>Température</translation>
    </message>
    <message>
        <source>Higher is more varied, lower is more focused.</source>
        <translation>Plus haut, les réponses sont plus variées&#x202f;; plus bas, plus précises.</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Sample only from the most likely words that add up to this share.</source>
        <translation>Ne choisir que parmi les mots les plus probables qui totalisent cette part.</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Sample only from this many most likely words (0: no limit).</source>
        <translation>Ne choisir que parmi ce nombre de mots les plus probables (0&#xa0;: sans limite).</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Leave out words far less likely than the best one.</source>
        <translation>Écarter les mots bien moins probables que le meilleur.</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>Pénalité de répétition</translation>
    </message>
    <message>
        <source>Above 1 discourages repeating the same words.</source>
        <translation>Au-dessus de 1, décourage la répétition des mêmes mots.</translation>
    </message>
    <message>
        <source>Maximum answer length</source>
        <translation>Longueur maximale des réponses</translation>
    </message>
    <message>
        <source>In tokens (about ¾ of a word each).</source>
        <translation>En jetons (environ ¾ de mot chacun).</translation>
    </message>
    <message>
        <source>Stop a reply that repeats itself</source>
        <translation>Arrêter une réponse qui se répète</translation>
    </message>
    <message>
        <source>Loops</source>
        <translation>Boucles</translation>
    </message>
    <message>
        <source>A reply that says the same lines over and over ends by itself, with a note.</source>
        <translation>Une réponse qui répète sans cesse les mêmes lignes s’arrête seule, avec une note.</translation>
    </message>
    <message>
        <source>Context size</source>
        <translation>Taille du contexte</translation>
    </message>
    <message>
        <source>How much of the conversation the model can see, in tokens. Larger uses more memory. Applies when the model reloads.</source>
        <translation>La part de la conversation que le modèle peut voir, en jetons. Plus grand utilise plus de mémoire. S’applique au rechargement du modèle.</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>Fils d’exécution (CPU)</translation>
    </message>
    <message>
        <source>0 chooses from the number of processor cores.</source>
        <translation>0 choisit d’après le nombre de cœurs du processeur.</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Automatique</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>Couches sur le GPU</translation>
    </message>
    <message>
        <source>Layers to run on the graphics card (-1: all it can).</source>
        <translation>Couches à exécuter sur la carte graphique (-1&#xa0;: autant que possible).</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Toutes</translation>
    </message>
    <message>
        <source>Changing these reloads the model after the current answer.</source>
        <translation>Les modifier recharge le modèle après la réponse en cours.</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>Comme le système</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Clair</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Sombre</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Thème</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Langue</translation>
    </message>
    <message>
        <source>Encrypt the conversation history on this computer</source>
        <translation>Chiffrer l’historique des conversations sur cet ordinateur</translation>
    </message>
    <message>
        <source>The history is encrypted with SQLCipher; its key is kept in the system keyring, never beside it. Switching converts the history at once, through a verified copy.</source>
        <translation>L’historique est chiffré avec SQLCipher ; sa clé est gardée dans le trousseau système, jamais à côté de lui. Changer ce réglage convertit l’historique aussitôt, par une copie vérifiée.</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historique</translation>
    </message>
    <message>
        <source>Local API</source>
        <translation>API locale</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <source>The API listens on 127.0.0.1 only, on this port.</source>
        <translation>L’API n’écoute que sur 127.0.0.1, sur ce port.</translation>
    </message>
    <message>
        <source>Locked by your administrator&apos;s policy ({file}).</source>
        <translation>Verrouillé par la stratégie de votre administrateur ({file}).</translation>
    </message>
    <message>
        <source>Your administrator&apos;s policy requires an encrypted history.</source>
        <translation>La politique de votre administrateur exige un historique chiffré.</translation>
    </message>
    <message>
        <source>Your administrator&apos;s policy keeps the history unencrypted.</source>
        <translation>La politique de votre administrateur garde l’historique non chiffré.</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>No conversation matches “{query}”.</source>
        <translation>Aucune conversation ne correspond à «&#xa0;{query}&#xa0;».</translation>
    </message>
    <message>
        <source>Your conversations will appear here.</source>
        <translation>Vos conversations apparaîtront ici.</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>Nouvelle conversation</translation>
    </message>
    <message>
        <source>Pinned</source>
        <translation>Épinglées</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Aujourd’hui</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Hier</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>Older</source>
        <translation>Plus anciennes</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Renommer…</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>Désépingler</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>Épingler</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exporter…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Rename conversation</source>
        <translation>Renommer la conversation</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>Titre&#xa0;:</translation>
    </message>
    <message>
        <source>Deleted “{title}”.</source>
        <translation>«&#xa0;{title}&#xa0;» supprimée.</translation>
    </message>
    <message>
        <source>+  New chat</source>
        <translation>+  Nouvelle discussion</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>Commencer une nouvelle conversation (Ctrl+N)</translation>
    </message>
    <message>
        <source>Search all conversations</source>
        <translation>Rechercher partout</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>Rechercher dans les conversations</translation>
    </message>
    <message>
        <source>Search every message (Ctrl+K)</source>
        <translation>Rechercher dans tous les messages (Ctrl+K)</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversations</translation>
    </message>
    <message>
        <source>Right-click a conversation to rename, pin, export or delete it</source>
        <translation>Clic droit sur une conversation pour la renommer, l’épingler, l’exporter ou la supprimer</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Annuler</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Loading the model… (your history is ready)</source>
        <translation>Chargement du modèle… (votre historique est prêt)</translation>
    </message>
    <message>
        <source>Model not loaded: {error}</source>
        <translation>Modèle non chargé&#xa0;: {error}</translation>
    </message>
    <message>
        <source>Model: {name} on company server {server} (your text is sent there)</source>
        <translation>Modèle : {name} sur le serveur d’entreprise {server} (votre texte y est envoyé)</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>Modèle&#xa0;: {name}</translation>
    </message>
    <message>
        <source>Context {used} / {total} tokens</source>
        <translation>Contexte {used} / {total} jetons</translation>
    </message>
    <message>
        <source>{rate:.1f} tokens/s</source>
        <translation>{rate:.1f} jetons/s</translation>
    </message>
    <message>
        <source>First token {ms:.0f} ms</source>
        <translation>Premier jeton {ms:.0f} ms</translation>
    </message>
    <message>
        <source>Context {total} tokens</source>
        <translation>Contexte {total} jetons</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
</context>
<context>
    <name>WelcomePanel</name>
    <message>
        <source>Welcome to Enclave</source>
        <translation>Bienvenue dans Enclave</translation>
    </message>
    <message>
        <source>How can I help?</source>
        <translation>Comment puis-je vous aider&#x202f;?</translation>
    </message>
    <message>
        <source>Enclave runs a language model on this computer. What you type, the answers and your history stay here: nothing is sent anywhere.</source>
        <translation>Enclave fait fonctionner un modèle de langage sur cet ordinateur. Ce que vous écrivez, les réponses et votre historique restent ici&#xa0;: rien n’est envoyé nulle part.</translation>
    </message>
    <message>
        <source>The bundled model is a small demo model (Gemma 3 270M): quick, but its answers are simple and often wrong. Install a larger model for real work.</source>
        <translation>Le modèle fourni est un petit modèle de démonstration (Gemma 3 270M)&#xa0;: rapide, mais ses réponses sont simples et souvent fausses. Installez un modèle plus grand pour un vrai travail.</translation>
    </message>
    <message>
        <source>Open the model manager</source>
        <translation>Ouvrir le gestionnaire de modèles</translation>
    </message>
    <message>
        <source>Start chatting</source>
        <translation>Commencer</translation>
    </message>
    <message>
        <source>Explain a concept</source>
        <translation>Expliquer une notion</translation>
    </message>
    <message>
        <source>Explain what a hash function is, simply.</source>
        <translation>Explique simplement ce qu’est une fonction de hachage.</translation>
    </message>
    <message>
        <source>Write some code</source>
        <translation>Écrire du code</translation>
    </message>
    <message>
        <source>Write a Python function that reverses a string.</source>
        <translation>Écris une fonction Python qui inverse une chaîne.</translation>
    </message>
    <message>
        <source>Draft an email</source>
        <translation>Rédiger un e-mail</translation>
    </message>
    <message>
        <source>Draft a short email asking for a meeting.</source>
        <translation>Rédige un court e-mail pour demander un rendez-vous.</translation>
    </message>
    <message>
        <source>Brainstorm</source>
        <translation>Trouver des idées</translation>
    </message>
    <message>
        <source>Give me five names for a bakery.</source>
        <translation>Propose-moi cinq noms pour une boulangerie.</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>Bienvenue</translation>
    </message>
</context>
</TS>
