"""docker-compose projects and live docker hosts → the common network model.

Stages, one module each:

* :mod:`.yamlsafe` — bomb-proof YAML loading into :class:`~.yamlsafe.YNode` trees that keep
  file and line (YAML 1.2 core scalars, as Compose's Go parser reads them);
* :mod:`.interpolate` — ``${VAR}`` interpolation and ``.env`` files;
* :mod:`.load` — project discovery, ``include:``, override files, ``extends:`` and merging;
* :mod:`.spec` — the merged tree → typed, frozen :class:`~.spec.Project` / :class:`~.spec.Service`;
* :mod:`.host` — the neutral "docker host" description both compose and ``docker inspect``
  produce (workloads, networks, published bindings, host access);
* :mod:`.analysis` — a docker host → endpoints, zones and facts.
"""
