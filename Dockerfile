# The `ntk` command in a container, for docker-compose.yml (coordinator and worker services use the same image).
#   docker build -t ntk .
#   docker run --rm -v "$PWD/results:/results" ntk run /sweeps/quickstart.json --out /results/quickstart

# ---- build: restore and publish the CLI (Release). -----------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props Ntk.Distributed.sln ./
COPY cluster-config/ cluster-config/
COPY src/ src/
RUN dotnet publish src/Ntk.Cli/Ntk.Cli.csproj -c Release -o /app

# ---- runtime: the published CLI and the example sweeps. -------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /work
COPY --from=build /app /app
COPY examples/ /sweeps/
# Cluster nodes bind every interface inside the container and advertise their own address (or NTK_PUBLIC_HOSTNAME);
# the results volume is mounted at /results.
ENV NTK_HOSTNAME=0.0.0.0 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
VOLUME ["/results"]
EXPOSE 4053
ENTRYPOINT ["dotnet", "/app/ntk.dll"]
CMD ["--help"]
